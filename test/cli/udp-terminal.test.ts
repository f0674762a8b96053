import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { within } from '../helpers/bounded.js';
import { dsockOnTerminal, type TerminalChild } from '../helpers/pty.js';
import { DatagramSocket } from '../../src/index.js';

/** Bytes a terminal acts on: set the window title, clear the screen, ring the bell, NUL. */
const HOSTILE = Buffer.from('\x1b]0;owned\x07\x1b[2J\x00after', 'latin1');

describe('dsock udp listen on a terminal', () => {
  const open: { close(): Promise<void> }[] = [];
  after(async () => {
    await within(Promise.all(open.map((o) => o.close())), 10_000, 'closing');
  });

  it('shows control bytes of a datagram escaped, never raw', async () => {
    const listener: TerminalChild = dsockOnTerminal(['udp', 'listen', 0, '--host', '127.0.0.1']);
    open.push(listener);
    await listener.waitFor('# listening on 127.0.0.1:');
    const port = Number(/listening on 127\.0\.0\.1:(\d+)/.exec(listener.output.toString())?.[1]);
    const sender = await DatagramSocket.bind('127.0.0.1:0');
    open.push(sender);
    await sender.sendTo(HOSTILE, { host: '127.0.0.1', port });
    await listener.waitFor('after');
    const shown = listener.output;
    assert.ok(shown.includes('\\x1b]0;owned\\x07\\x1b[2J\\x00after'), shown.toString('latin1'));
    for (const byte of [0x1b, 0x07, 0x00]) {
      assert.equal(shown.indexOf(byte), -1, `byte 0x${byte.toString(16)} reached the terminal`);
    }
  });
});
