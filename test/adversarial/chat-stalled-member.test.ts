import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { ReliableDatagramSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import type { LineChild } from '../helpers/child.js';
import {
  closeAll,
  exitAfterSignal,
  GROUP_BANNER,
  startChat,
  texts,
  UDP_BANNER,
} from './chat-support.js';

/** `count` numbered lines of about `size` bytes each, as one block of typed input. */
function typedLines(count: number, size: number): string {
  let out = '';
  for (let i = 0; i < count; i++) out += `${i} ${'x'.repeat(size)}\n`;
  return out;
}

/** A member that connects and never reads a byte. */
function nonReader(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.pause();
    socket.once('error', reject);
  });
}

/** Waits until `child` printed `count` message texts, bounded. */
function receivedAll(child: LineChild, count: number, ms: number): Promise<void> {
  return child.untilStdout((lines) => lines.length >= 2 * count, `${count} messages`, ms);
}

describe('TCP group chat: a member that never reads', () => {
  it(
    'does not hold back the others: it is disconnected with a status line, and SIGTERM still ends the chat at once',
    { timeout: 90_000 },
    async () => {
      const children: LineChild[] = [];
      let stalled: Socket | undefined;
      try {
        const host = ['--host', '127.0.0.1'];
        const a = await startChat(
          children,
          ['chat', 'tcp', 'group', 0, '--name', 'A', ...host],
          GROUP_BANNER,
        );
        const b = await startChat(
          children,
          ['chat', 'tcp', 'group', 0, `127.0.0.1:${a.port}`, '--name', 'B', ...host],
          GROUP_BANNER,
        );
        await a.child.stderrMatch(/connected from/);
        stalled = await nonReader(a.port);
        await a.child.stderrMatch(/connected from/);

        // 16 MB: far more than the kernel buffers and the member's send queue hold.
        const count = 8000;
        a.child.write(typedLines(count, 2000));
        await within(
          receivedAll(b.child, count, 60_000).catch(() => undefined),
          61_000,
          'the honest member',
        );
        const got = texts(b.child).length;
        process.stdout.write(`# the honest member got ${got} of ${count} lines\n`);
        assert.equal(got, count, 'lines that reached the honest member');
        await a.child.stderrMatch(
          new RegExp(`dropped 127\\.0\\.0\\.1:${stalled.localPort}: .*not reading`),
        );

        const { code, elapsed } = await exitAfterSignal(a.child, 'SIGTERM');
        process.stdout.write(`# exit ${code} ${Math.round(elapsed)} ms after SIGTERM\n`);
        assert.equal(code, 0);
        assert.ok(elapsed < 1500, `exit took ${elapsed} ms after SIGTERM`);
      } finally {
        stalled?.destroy();
        await closeAll(children);
      }
    },
  );

  it(
    'SIGINT ends the chat within a second while a member blocks it',
    { timeout: 60_000 },
    async () => {
      const children: LineChild[] = [];
      let stalled: Socket | undefined;
      try {
        const a = await startChat(
          children,
          ['chat', 'tcp', 'group', 0, '--name', 'A', '--host', '127.0.0.1'],
          GROUP_BANNER,
        );
        stalled = await nonReader(a.port);
        await a.child.stderrMatch(/connected from/);
        // Once the pipe took all 16 MB, the chat has read most of it and is sending.
        await within(
          new Promise((resolve) => a.child.process.stdin.write(typedLines(8000, 2000), resolve)),
          20_000,
          'typing',
        );
        const { code, elapsed } = await exitAfterSignal(a.child, 'SIGINT');
        process.stdout.write(`# exit ${code} ${Math.round(elapsed)} ms after SIGINT\n`);
        assert.equal(code, 0);
        assert.ok(elapsed < 1500, `exit took ${elapsed} ms after SIGINT`);
      } finally {
        stalled?.destroy();
        await closeAll(children);
      }
    },
  );
});

describe('reliable chat: a peer that never reads', () => {
  it(
    'does not hold back the others: it is dropped with a status line, and SIGINT ends the chat at once',
    { timeout: 90_000 },
    async () => {
      const children: LineChild[] = [];
      // Acknowledges what fits in its window, then never reads: the window stays shut.
      const stalled = await ReliableDatagramSocket.bind('127.0.0.1:0');
      try {
        const reliable = ['--reliable', '--host', '127.0.0.1'];
        const b = await startChat(
          children,
          ['chat', 'udp', 0, '--name', 'B', ...reliable],
          UDP_BANNER,
        );
        const a = await startChat(
          children,
          [
            'chat',
            'udp',
            0,
            `127.0.0.1:${b.port}`,
            `127.0.0.1:${stalled.localEndpoint.port}`,
            '--name',
            'A',
            ...reliable,
          ],
          UDP_BANNER,
        );
        const count = 3000;
        a.child.write(typedLines(count, 1000));
        await within(
          receivedAll(b.child, count, 40_000).catch(() => undefined),
          41_000,
          'the honest peer',
        );
        const got = texts(b.child).length;
        process.stdout.write(`# the honest peer got ${got} of ${count} lines\n`);
        assert.equal(got, count, 'lines that reached the honest peer');
        await a.child.stderrMatch(
          new RegExp(`dropped 127\\.0\\.0\\.1:${stalled.localEndpoint.port}: .*not reading`),
        );
        const { code, elapsed } = await exitAfterSignal(a.child, 'SIGINT');
        process.stdout.write(`# exit ${code} ${Math.round(elapsed)} ms after SIGINT\n`);
        assert.equal(code, 0);
        assert.ok(elapsed < 1500, `exit took ${elapsed} ms after SIGINT`);
      } finally {
        await closeAll(children);
        await stalled.close({ timeout: 0 });
      }
    },
  );
});
