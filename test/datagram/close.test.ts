import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { within } from '../helpers/bounded.js';
import { DatagramSocket, SocketClosedError } from '../../src/index.js';
import { FAMILIES, recv, socketTracker, unavailable } from './sockets.js';

const sockets = socketTracker();

describe('DatagramSocket.close', () => {
  it('is idempotent: every call returns the same promise and resolves', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    const first = socket.close();
    const second = socket.close();
    assert.equal(first, second);
    await within(first, 5_000, 'close');
    await within(socket.close(), 5_000, 'close again');
    assert.equal(socket.closed, true);
  });

  for (const { family, loopback } of FAMILIES) {
    it(`${family}: frees the port at once`, async (t) => {
      if (await unavailable(t, family)) return;
      const socket = await sockets.bind({ host: loopback });
      const endpoint = socket.localEndpoint;
      await within(socket.close(), 5_000, 'close');
      const again = await sockets.bind(endpoint);
      assert.deepEqual(again.localEndpoint, endpoint);
    });
  }

  it('rejects pending receives with SocketClosedError', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    const pending = [socket.recvFrom(), socket.recvFrom(10, { timeout: 60_000 })];
    await within(socket.close(), 5_000, 'close');
    for (const receive of pending) {
      await assert.rejects(within(receive, 5_000, 'pending receive'), (e: unknown) => {
        assert.ok(e instanceof SocketClosedError, String(e));
        assert.deepEqual(e.endpoint, socket.localEndpoint);
        return true;
      });
    }
  });

  it('makes every later call fail with SocketClosedError', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    const peer = await sockets.bind('127.0.0.1:0');
    await socket.close();
    await assert.rejects(socket.sendTo('x', peer.localEndpoint), SocketClosedError);
    await assert.rejects(socket.send('x'), SocketClosedError);
    await assert.rejects(socket.recvFrom(), SocketClosedError);
    await assert.rejects(socket.connect(peer.localEndpoint), SocketClosedError);
    assert.throws(() => socket.disconnect(), SocketClosedError);
    assert.throws(() => socket.setBroadcast(true), SocketClosedError);
    assert.throws(() => socket.setTTL(64), SocketClosedError);
    assert.throws(() => socket.joinGroup('239.255.0.1'), SocketClosedError);
    assert.throws(() => socket.kernelReceiveBufferSize, SocketClosedError);
    // What it was stays readable.
    assert.ok(socket.localEndpoint.port > 0);
    assert.equal(socket.stats.datagramsSent, 0);
  });

  it('puts on the wire a send to an address made just before close, and resolves it', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    const peer = await sockets.bind('127.0.0.1:0');
    // A send to an address leaves during its call (over node:dgram) or before the handle
    // closes (natively), so a close in the same tick does not take it back.
    const sends = [
      socket.sendTo('last words', peer.localEndpoint),
      socket.sendTo('and more', peer.localEndpoint),
    ];
    const closing = socket.close();
    assert.deepEqual(await within(Promise.all(sends), 5_000, 'the sends'), [10, 8]);
    await within(closing, 5_000, 'close');
    assert.equal(socket.stats.datagramsSent, 2);
    assert.equal((await recv(peer)).data.toString(), 'last words');
    assert.equal((await recv(peer)).data.toString(), 'and more');
  });

  it('puts on the wire a connected send made just before close, and resolves it', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    const peer = await sockets.bind('127.0.0.1:0');
    await within(socket.connect(peer.localEndpoint), 5_000, 'connect');
    // A connected send leaves at once (node:dgram sends it synchronously), so a close in the
    // same tick does not take it back.
    const sends = [socket.send('first'), socket.send('second')];
    const closing = socket.close();
    assert.deepEqual(await within(Promise.all(sends), 5_000, 'the sends'), [5, 6]);
    await within(closing, 5_000, 'close');
    assert.equal(socket.stats.datagramsSent, 2);
    assert.equal((await recv(peer)).data.toString(), 'first');
    assert.equal((await recv(peer)).data.toString(), 'second');
  });

  it('settles a send waiting for its host name to resolve when the socket closes', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    const peer = await sockets.bind('127.0.0.1:0');
    const sending = socket.sendTo('to a name', {
      host: 'localhost',
      port: peer.localEndpoint.port,
    });
    await within(socket.close(), 5_000, 'close');
    await assert.rejects(within(sending, 5_000, 'the send'), SocketClosedError);
    assert.equal(socket.stats.datagramsSent, 0);
  });

  it('settles, as closed, a send to an address that waits behind a host name when the socket closes', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    const peer = await sockets.bind('127.0.0.1:0');
    // Sends leave in call order, so the one to an address waits for the name's lookup before
    // it; the close overtakes both, and neither leaves.
    const sends = [
      socket.sendTo('to a name', { host: 'localhost', port: peer.localEndpoint.port }),
      socket.sendTo('to an address', peer.localEndpoint),
    ];
    await within(socket.close(), 5_000, 'close');
    for (const sending of sends) {
      await assert.rejects(within(sending, 5_000, 'the send'), SocketClosedError);
    }
    assert.equal(socket.stats.datagramsSent, 0);
  });

  it('settles a connect still in progress when the socket closes', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    const peer = await sockets.bind('127.0.0.1:0');
    const connecting = socket.connect(peer.localEndpoint);
    await within(socket.close(), 5_000, 'close');
    await assert.rejects(within(connecting, 5_000, 'the connect'), SocketClosedError);
    assert.equal(socket.remoteEndpoint, undefined);
  });

  it('closes once whether through close() or Symbol.asyncDispose', async () => {
    const socket = await within(DatagramSocket.bind('127.0.0.1:0'), 5_000, 'bind');
    await Promise.all([socket.close(), socket[Symbol.asyncDispose]()]);
    assert.equal(socket.closed, true);
  });
});
