import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { within } from '../helpers/bounded.js';
import { dsockOnTerminal } from '../helpers/pty.js';

describe('dsock echo client on a terminal', () => {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    // A hostile echo server: answers every line with bytes a terminal acts on.
    socket.on('data', () => socket.write('\x1b]0;owned\x07\x1b[2J\x00after'));
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    server.close();
    await within(once(server, 'close'), 5_000, 'server close');
  });

  it("shows the server's control bytes escaped, never raw", async () => {
    server.listen(0, '127.0.0.1');
    await within(once(server, 'listening'), 5_000, 'listening');
    const { port } = server.address() as { port: number };
    const client = dsockOnTerminal(['echo', 'client', `127.0.0.1:${port}`]);
    try {
      client.type('hi\n');
      await client.waitFor('after');
      const shown = client.output;
      assert.ok(shown.includes('\\x1b]0;owned\\x07\\x1b[2J\\x00after'), shown.toString('latin1'));
      for (const byte of [0x1b, 0x07, 0x00]) {
        assert.equal(shown.indexOf(byte), -1, `byte 0x${byte.toString(16)} reached the terminal`);
      }
    } finally {
      await client.close();
    }
  });
});
