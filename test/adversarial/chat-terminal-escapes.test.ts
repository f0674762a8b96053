import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { formatChatMessage } from '../../src/apps/chat-message.js';
import { within } from '../helpers/bounded.js';
import type { LineChild } from '../helpers/child.js';
import { dsockOnTerminal, type TerminalChild } from '../helpers/pty.js';
import { closeAll, startChat, UDP_BANNER } from './chat-support.js';

/** Sets the window title, clears the screen, rings the bell, and a NUL and a C1 CSI for luck. */
const ATTACK = '\x1b]0;owned\x07\x1b[2J\x07\x00\x9b31m\r';
const RAW_BYTES = [0x1b, 0x07, 0x00];

/** Reads the port from the banner, the first line the chat writes on its terminal. */
async function terminalPort(terminal: TerminalChild, banner: RegExp): Promise<number> {
  await terminal.waitFor('\r\n');
  const match = banner.exec(terminal.output.toString('latin1'));
  if (!match) throw new Error(`no banner ${banner} on the terminal`);
  return Number(match[1]);
}

function sendUdp(port: number, data: Buffer): Promise<void> {
  const socket = createSocket('udp4');
  return new Promise<void>((resolve, reject) =>
    socket.send(data, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())),
  ).finally(() => socket.close());
}

/** Asserts the terminal shows the attack escaped, and none of its raw control bytes. */
function assertHarmless(output: Buffer, marker: string): void {
  const at = output.indexOf('evil:');
  const end = output.indexOf(marker, at);
  assert.ok(at >= 0 && end > at, `the message is on the terminal: ${output.toString('latin1')}`);
  const shown = output.subarray(at, end);
  for (const byte of [...RAW_BYTES, 0x9b]) {
    assert.ok(!shown.includes(byte), `raw byte 0x${byte.toString(16)} reached the terminal`);
  }
  for (const byte of RAW_BYTES) assert.ok(!output.includes(byte), `raw 0x${byte.toString(16)}`);
  assert.ok(
    shown.includes('\\x1b]0;owned'),
    `escaped on the terminal: ${shown.toString('latin1')}`,
  );
}

describe('chats on a terminal: remote text is made harmless', () => {
  it('UDP chat: escape sequences, BEL and NUL from one datagram are shown escaped', async () => {
    const terminal = dsockOnTerminal(['chat', 'udp', 0, '--name', 'Alice', '--host', '127.0.0.1']);
    try {
      const port = await terminalPort(terminal, /chatting on [\d.]+:(\d+)/);
      await sendUdp(port, Buffer.from(formatChatMessage(`${ATTACK} end-of-attack`, 'evil')));
      await terminal.waitFor('end-of-attack');
      assertHarmless(terminal.output, 'end-of-attack');
    } finally {
      await terminal.close();
    }
  });

  it('TCP group chat: the same from a member', async () => {
    const terminal = dsockOnTerminal([
      'chat',
      'tcp',
      'group',
      0,
      '--name',
      'Alice',
      '--host',
      '127.0.0.1',
    ]);
    try {
      const port = await terminalPort(terminal, /in the group on [\d.]+:(\d+)/);
      const body = Buffer.from(formatChatMessage(`${ATTACK} end-of-attack`, 'evil'));
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(body.length);
      const member = connect(port, '127.0.0.1');
      try {
        await within(new Promise((resolve) => member.once('connect', resolve)), 5000, 'connect');
        member.write(Buffer.concat([prefix, body]));
        await terminal.waitFor('end-of-attack');
        assertHarmless(terminal.output, 'end-of-attack');
      } finally {
        member.destroy();
      }
    } finally {
      await terminal.close();
    }
  });

  it('on a pipe, the bytes stay as received', async () => {
    const children: LineChild[] = [];
    try {
      const a = await startChat(
        children,
        ['chat', 'udp', 0, '--name', 'Alice', '--host', '127.0.0.1'],
        UDP_BANNER,
      );
      await sendUdp(a.port, Buffer.from(formatChatMessage(`${ATTACK} end-of-attack`, 'evil')));
      await a.child.stdoutMatch(/end-of-attack/);
      const shown = a.child.stdoutLines.join('\n');
      assert.ok(shown.includes('\x1b]0;owned\x07\x1b[2J\x07\x00\x9b31m'), shown);
    } finally {
      await closeAll(children);
    }
  });
});
