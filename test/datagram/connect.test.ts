import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { within } from '../helpers/bounded.js';
import {
  ConnectionRefusedError,
  DatagramSocket,
  InvalidEndpointError,
  SocketError,
  TimeoutError,
} from '../../src/index.js';
import type { Endpoint } from '../../src/index.js';
import { FAMILIES, recv, socketTracker, unavailable } from './sockets.js';

const sockets = socketTracker();

/** An endpoint on loopback that nobody is bound to: bound once, then closed. */
async function deadEndpoint(host: string): Promise<Endpoint> {
  const socket = await within(DatagramSocket.bind({ host }), 5_000, 'bind');
  const endpoint = socket.localEndpoint;
  await socket.close();
  return endpoint;
}

describe('DatagramSocket.connect', () => {
  for (const { family, loopback } of FAMILIES) {
    it(`${family}: sends to the peer and receives only the peer's datagrams`, async (t) => {
      if (await unavailable(t, family)) return;
      const socket = await sockets.bind({ host: loopback });
      const peer = await sockets.bind({ host: loopback });
      const stranger = await sockets.bind({ host: loopback });
      await within(socket.connect(peer.localEndpoint), 5_000, 'connect');
      assert.deepEqual(socket.remoteEndpoint, peer.localEndpoint);

      assert.equal(await socket.send('to the peer'), 11);
      const atPeer = await recv(peer);
      assert.equal(atPeer.data.toString(), 'to the peer');
      assert.deepEqual(atPeer.sender, socket.localEndpoint);

      // The stranger's datagram is sent (and would be queued) before the peer's marker.
      await stranger.sendTo('from a stranger', socket.localEndpoint);
      await peer.sendTo('from the peer', socket.localEndpoint);
      const first = await recv(socket);
      assert.equal(first.data.toString(), 'from the peer');
      assert.deepEqual(first.sender, peer.localEndpoint);
    });
  }

  it('reports the local address the connection chose, when bound to the any-address', async () => {
    const socket = await sockets.bind('0.0.0.0:0');
    const peer = await sockets.bind('127.0.0.1:0');
    await within(socket.connect(peer.localEndpoint), 5_000, 'connect');
    assert.deepEqual(socket.localEndpoint, { host: '127.0.0.1', port: socket.localEndpoint.port });
  });

  it('names the current local address in receive errors after connect and disconnect', async () => {
    const socket = await sockets.bind('0.0.0.0:0');
    const peer = await sockets.bind('127.0.0.1:0');
    const { port } = socket.localEndpoint;
    const timedOut = async (): Promise<TimeoutError> => {
      const error = await socket.recvFrom(100, { timeout: 5 }).then(
        () => assert.fail('a datagram arrived'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof TimeoutError, String(error));
      return error;
    };
    assert.match((await timedOut()).message, new RegExp(`recvFrom on 0\\.0\\.0\\.0:${port} `));
    await within(socket.connect(peer.localEndpoint), 5_000, 'connect');
    const connected = await timedOut();
    assert.match(connected.message, new RegExp(`recvFrom on 127\\.0\\.0\\.1:${port} `));
    assert.deepEqual(connected.endpoint, socket.localEndpoint);
    socket.disconnect();
    assert.match((await timedOut()).message, new RegExp(`recvFrom on 0\\.0\\.0\\.0:${port} `));
  });

  it('refuses sendTo while connected and send while not', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    const peer = await sockets.bind('127.0.0.1:0');
    await assert.rejects(socket.send('nowhere'), (e: unknown) => {
      assert.ok(e instanceof SocketError, String(e));
      assert.equal(e.code, 'EDESTADDRREQ');
      return true;
    });
    await within(socket.connect(peer.localEndpoint), 5_000, 'connect');
    await assert.rejects(socket.sendTo('elsewhere', peer.localEndpoint), (e: unknown) => {
      assert.ok(e instanceof SocketError, String(e));
      assert.equal(e.code, 'EISCONN');
      return true;
    });
    await peer.sendTo('marker', socket.localEndpoint);
    assert.equal((await recv(socket)).data.toString(), 'marker');
    assert.equal(peer.stats.datagramsReceived, 0, 'nothing reached the peer');
  });

  it('refuses port 0 and a malformed peer with InvalidEndpointError', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    await assert.rejects(socket.connect('127.0.0.1:0'), InvalidEndpointError);
    await assert.rejects(socket.connect({ host: 'bad host', port: 9 }), InvalidEndpointError);
    assert.equal(socket.remoteEndpoint, undefined);
  });

  it('connecting again moves to the new peer; disconnect() receives from everyone again', async () => {
    // A port given by number (the next tests cover one the system chose).
    const socket = await sockets.bind(await deadEndpoint('127.0.0.1'));
    const first = await sockets.bind('127.0.0.1:0');
    const second = await sockets.bind('127.0.0.1:0');
    await within(socket.connect(first.localEndpoint), 5_000, 'connect');
    await within(socket.connect(second.localEndpoint), 5_000, 'reconnect');
    assert.deepEqual(socket.remoteEndpoint, second.localEndpoint);
    await socket.send('to the second');
    assert.equal((await recv(second)).data.toString(), 'to the second');
    await first.sendTo('from the first, filtered', socket.localEndpoint);
    await second.sendTo('from the second', socket.localEndpoint);
    assert.equal((await recv(socket)).data.toString(), 'from the second');

    const port = socket.localEndpoint.port;
    socket.disconnect();
    assert.equal(socket.remoteEndpoint, undefined);
    assert.equal(socket.localEndpoint.port, port);
    socket.disconnect();
    await first.sendTo('from the first, welcome', socket.localEndpoint);
    assert.equal((await recv(socket)).data.toString(), 'from the first, welcome');
    await assert.rejects(socket.send('no peer'), SocketError);
  });

  for (const { family, loopback } of FAMILIES) {
    it(`${family}: a socket bound to port 0 keeps the port the system chose through reconnects and disconnect`, async (t) => {
      if (await unavailable(t, family)) return;
      const socket = await sockets.bind({ host: loopback, port: 0 });
      const first = await sockets.bind({ host: loopback, port: 0 });
      const second = await sockets.bind({ host: loopback, port: 0 });
      const bound = socket.localEndpoint;
      assert.notEqual(bound.port, 0);
      await within(socket.connect(first.localEndpoint), 5_000, 'connect');
      await within(socket.connect(second.localEndpoint), 5_000, 'reconnect');
      assert.deepEqual(socket.localEndpoint, bound);
      await socket.send('from the same port');
      const atSecond = await recv(second);
      assert.deepEqual(atSecond.sender, bound, 'the peer sees the port the socket was bound to');
      await second.sendTo('back', bound);
      assert.equal((await recv(socket)).data.toString(), 'back');

      socket.disconnect();
      assert.deepEqual(socket.localEndpoint, bound);
      // Still receiving on that port before it sends anything.
      await first.sendTo('still here', bound);
      assert.equal((await recv(socket)).data.toString(), 'still here');
      await socket.sendTo('and from it', first.localEndpoint);
      assert.deepEqual((await recv(first)).sender, bound);
    });
  }

  it('keeps the port of a socket bound to the any-address, whose local address follows the route', async () => {
    const socket = await sockets.bind('0.0.0.0:0');
    const peer = await sockets.bind('127.0.0.1:0');
    const { port } = socket.localEndpoint;
    await within(socket.connect(peer.localEndpoint), 5_000, 'connect');
    await within(socket.connect(peer.localEndpoint), 5_000, 'reconnect');
    assert.deepEqual(socket.localEndpoint, { host: '127.0.0.1', port });
    socket.disconnect();
    assert.deepEqual(socket.localEndpoint, { host: '0.0.0.0', port });
  });
});

describe('DatagramSocket asynchronous errors', () => {
  for (const { family, loopback } of FAMILIES) {
    it(`${family}: a pending receive rejects with ConnectionRefusedError, and the socket stays usable`, async (t) => {
      if (await unavailable(t, family)) return;
      const dead = await deadEndpoint(loopback);
      const socket = await sockets.bind({ host: loopback });
      await within(socket.connect(dead), 5_000, 'connect');
      const pending = socket.recvFrom();
      await socket.send('anyone there?');
      await assert.rejects(within(pending, 5_000, 'the refused receive'), (e: unknown) => {
        assert.ok(e instanceof ConnectionRefusedError, String(e));
        assert.deepEqual(e.endpoint, dead);
        return true;
      });

      const peer = await sockets.bind({ host: loopback });
      await within(socket.connect(peer.localEndpoint), 5_000, 'connect to a live peer');
      await socket.send('ping');
      const ping = await recv(peer);
      await peer.sendTo('pong', ping.sender);
      assert.equal((await recv(socket)).data.toString(), 'pong');
    });
  }

  it('without a pending receive, the next receive rejects with it, once', async () => {
    const dead = await deadEndpoint('127.0.0.1');
    const socket = await sockets.bind('127.0.0.1:0');
    await within(socket.connect(dead), 5_000, 'connect');
    await socket.send('anyone there?');
    await assert.rejects(within(socket.recvFrom(), 5_000, 'receive'), ConnectionRefusedError);
    // Reported once: the next receive waits normally.
    await assert.rejects(
      socket.recvFrom(100, { timeout: 20 }),
      (e: unknown) => e instanceof SocketError && e.code === 'ETIMEDOUT',
    );
  });

  it('ends a for-await loop with the error', async () => {
    const dead = await deadEndpoint('127.0.0.1');
    const socket = await sockets.bind('127.0.0.1:0');
    await within(socket.connect(dead), 5_000, 'connect');
    await socket.send('anyone there?');
    const loop = (async () => {
      for await (const datagram of socket) assert.fail(`unexpected ${datagram.data.toString()}`);
    })();
    await assert.rejects(within(loop, 5_000, 'the loop'), ConnectionRefusedError);
    assert.equal(socket.closed, false);
  });
});
