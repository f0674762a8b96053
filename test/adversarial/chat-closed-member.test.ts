import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { formatChatMessage } from '../../src/apps/chat-message.js';
import { within } from '../helpers/bounded.js';
import { chatShows } from '../helpers/chat.js';
import type { LineChild } from '../helpers/child.js';
import { openFdCount, tcpSocketsInState } from '../helpers/resources.js';
import { closeAll, GROUP_BANNER, startChat } from './chat-support.js';

const MEMBERS = 200;

/** One length-prefixed chat message, as a member of the TCP chat sends it. */
function frame(text: string, sender: string): Buffer {
  const body = Buffer.from(formatChatMessage(text, sender));
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(body.length);
  return Buffer.concat([prefix, body]);
}

/** Connects, says one line and closes its side, as a member that leaves at once. */
function hitAndRun(port: number, i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1', () => {
      socket.end(frame(`hello ${i}`, `M${i}`));
    });
    socket.on('error', reject);
    // Its side is done once the FIN left; then it goes away, as a process that exits does.
    socket.on('finish', () => {
      socket.destroy();
      resolve();
    });
  });
}

/** Polls `read` until it returns `want`, bounded in count and time; resolves with the last value. */
async function settlesTo(read: () => number, want: number): Promise<number> {
  let value = read();
  for (let i = 0; i < 50 && value !== want; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = read();
  }
  return value;
}

describe('TCP group chat: members that leave', () => {
  it(
    'closes the socket of every member whose side is done: no CLOSE_WAIT, fds back to baseline',
    { timeout: 60_000 },
    async () => {
      const children: LineChild[] = [];
      try {
        const host = ['--host', '127.0.0.1'];
        const a = await startChat(
          children,
          ['chat', 'tcp', 'group', 0, '--name', 'A', ...host],
          GROUP_BANNER,
        );
        const pid = a.child.process.pid as number;
        const baseline = openFdCount(pid);

        for (let i = 0; i < MEMBERS; i += 20) {
          const batch = Array.from({ length: Math.min(20, MEMBERS - i) }, (_, k) => i + k);
          await within(Promise.all(batch.map((k) => hitAndRun(a.port, k))), 10_000, 'members');
        }
        await chatShows(a.child, `M${MEMBERS - 1}`, `hello ${MEMBERS - 1}`);
        await a.child.untilStdout(
          (lines) => lines.filter((l) => /^\thello \d+$/.test(l)).length === MEMBERS,
          `all ${MEMBERS} messages`,
        );
        for (let i = 0; i < MEMBERS; i++) await a.child.stderrMatch(/left the chat/);

        // An honest member killed with -9: the kernel closes its side; so must the chat.
        const b = await startChat(
          children,
          ['chat', 'tcp', 'group', 0, `127.0.0.1:${a.port}`, '--name', 'B', ...host],
          GROUP_BANNER,
        );
        await a.child.stderrMatch(/connected from/);
        b.child.process.kill('SIGKILL');
        await b.child.exitCode();
        await a.child.stderrMatch(/left the chat|failed/);

        const closeWait = await settlesTo(() => tcpSocketsInState('CLOSE_WAIT', a.port), 0);
        const fds = await settlesTo(() => openFdCount(pid), baseline);
        process.stdout.write(
          `# CLOSE_WAIT on the chat's port: ${closeWait}; fds: ${baseline} -> ${fds}\n`,
        );
        assert.equal(closeWait, 0, 'sockets left in CLOSE_WAIT');
        assert.equal(fds, baseline, 'open file descriptors of the chat');

        // The chat still serves an honest member.
        const c = await startChat(
          children,
          ['chat', 'tcp', 'group', 0, `127.0.0.1:${a.port}`, '--name', 'C', ...host],
          GROUP_BANNER,
        );
        await c.child.stderrMatch(/connected to/);
        a.child.write('still here\n');
        await chatShows(c.child, 'A', 'still here');
      } finally {
        await closeAll(children);
      }
    },
  );
});
