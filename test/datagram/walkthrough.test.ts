import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { within } from '../helpers/bounded.js';
import { DatagramSocket, SocketClosedError } from '../../src/index.js';
import { FAMILIES, recv, socketTracker, unavailable } from './sockets.js';

const sockets = socketTracker();

describe('DatagramSocket: the course walk-through', () => {
  for (const { family, loopback } of FAMILIES) {
    it(`${family}: binds the any-address, exchanges "Hello, world!", then refuses use after close`, async (t) => {
      if (await unavailable(t, family)) return;
      const any = family === 'IPv4' ? '0.0.0.0:0' : '[::]:0';
      const server = await sockets.bind(any);
      const client = await sockets.bind(any);
      assert.equal(server.family, family);
      assert.equal(server.localEndpoint.host, family === 'IPv4' ? '0.0.0.0' : '::');
      assert.ok(server.localEndpoint.port > 0, 'the system chose a port');

      const peer = { host: loopback, port: server.localEndpoint.port };
      const sent = await within(client.sendTo('Hello, world!', peer), 5_000, 'sendTo');
      assert.equal(sent, 13);

      const { data, sender, truncated } = await recv(server, 4096);
      assert.equal(data.toString(), 'Hello, world!');
      assert.deepEqual(sender, { host: loopback, port: client.localEndpoint.port });
      assert.equal(truncated, false);

      // The reply goes back to the sender's endpoint exactly as recvFrom reported it.
      await within(server.sendTo('Hello yourself', sender), 5_000, 'reply');
      assert.equal((await recv(client)).data.toString(), 'Hello yourself');

      await within(client.close(), 5_000, 'close');
      assert.equal(client.closed, true);
      await assert.rejects(client.sendTo('again', peer), SocketClosedError);
      await assert.rejects(client.recvFrom(4096), SocketClosedError);
    });
  }

  it('closes through `await using` at the end of the block', async () => {
    let kept: DatagramSocket | undefined;
    {
      await using socket = await within(DatagramSocket.bind('127.0.0.1:0'), 5_000, 'bind');
      kept = socket;
      assert.equal(socket.closed, false);
    }
    assert.equal(kept.closed, true);
    await assert.rejects(kept.recvFrom(), SocketClosedError);
  });
});
