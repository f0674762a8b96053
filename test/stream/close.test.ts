import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { ConnectionResetError, SocketClosedError, StreamSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { FAMILIES, unavailable } from '../helpers/families.js';
import { connectedPair } from './pair.js';

/** A plain Node listener, so that the peer can do what dsock does not (reset on purpose). */
async function nodePeer(host: string): Promise<{
  server: Server;
  client: StreamSocket;
  peer: Socket;
  close(): Promise<void>;
}> {
  const server = createServer();
  server.listen(0, host);
  await within(once(server, 'listening'), 5000, 'listening');
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = await within(StreamSocket.connect({ host, port: address.port }), 5000, 'connect');
  const [peer] = await within(accepted, 5000, 'connection');
  peer.on('error', () => undefined);
  return {
    server,
    client,
    peer,
    async close() {
      peer.destroy();
      await client.close();
      server.close();
    },
  };
}

for (const { family, loopback } of FAMILIES) {
  describe(`StreamSocket.close over ${family}`, () => {
    it('the peer reads what was sent, then end of stream', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        await pair.client.sendAll('last words');
        await within(pair.client.close(), 5000, 'close');
        assert.equal(
          (await within(pair.peer.recvExactly(10), 5000, 'data')).toString(),
          'last words',
        );
        assert.equal((await within(pair.peer.recv(10), 5000, 'end of stream')).length, 0);
      } finally {
        await pair.close();
      }
    });

    it('pending reads reject with SocketClosedError, and so does every later operation', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        const pending = [pair.client.recv(10), pair.client.recvExactly(10)].map((p) =>
          p.catch((e: unknown) => e),
        );
        const closing = pair.client.close();
        for (const outcome of await within(Promise.all(pending), 5000, 'pending reads')) {
          assert.ok(outcome instanceof SocketClosedError, String(outcome));
          assert.deepEqual(outcome.endpoint, pair.client.remoteEndpoint);
        }
        await within(closing, 5000, 'close');
        assert.equal(pair.client.closed, true);
        await assert.rejects(pair.client.recv(10), SocketClosedError);
        await assert.rejects(pair.client.recvExactly(0), SocketClosedError);
        await assert.rejects(pair.client.sendAll('x'), /send to .* failed: socket is closed/);
        await assert.rejects(pair.client.shutdown('read'), SocketClosedError);
        // Idempotent.
        await within(pair.client.close(), 5000, 'second close');
      } finally {
        await pair.close();
      }
    });

    it('a pending sendAll to a peer that does not read rejects on close', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback, { server: { receiveBufferLimit: 1024 } });
      try {
        // Far more than the kernel buffers of both sides hold, so the send must wait.
        const sending = pair.client
          .sendAll(Buffer.alloc(64 * 1024 * 1024))
          .catch((e: unknown) => e);
        await pair.client.close();
        const error = await within(sending, 5000, 'sendAll');
        assert.ok(error instanceof SocketClosedError, String(error));
      } finally {
        await pair.close();
      }
    });

    it('await using closes the socket at the end of the block', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        {
          await using client = pair.client;
          await client.sendAll('bye');
        }
        assert.equal(pair.client.closed, true);
        assert.equal((await within(pair.peer.recvExactly(3), 5000, 'data')).toString(), 'bye');
        assert.equal((await within(pair.peer.recv(3), 5000, 'end of stream')).length, 0);
      } finally {
        await pair.close();
      }
    });

    it('a reset by the peer rejects a pending recv with ConnectionResetError', async (t) => {
      if (await unavailable(t, family)) return;
      const node = await nodePeer(loopback);
      try {
        const pending = node.client.recv(10).catch((e: unknown) => e);
        node.peer.resetAndDestroy();
        const error = await within(pending, 5000, 'reset');
        assert.ok(error instanceof ConnectionResetError, String(error));
        assert.deepEqual(error.endpoint, node.client.remoteEndpoint);
        assert.equal(error.code, 'ECONNRESET');
        await assert.rejects(node.client.sendAll('x'), ConnectionResetError);
        await assert.rejects(node.client.recv(10), ConnectionResetError);
      } finally {
        await node.close();
      }
    });

    it('the endpoints stay known after a reset by the peer and after close', async (t) => {
      if (await unavailable(t, family)) return;
      const node = await nodePeer(loopback);
      try {
        const local = { host: node.peer.remoteAddress, port: node.peer.remotePort };
        const remote = { host: node.peer.localAddress, port: node.peer.localPort };
        const pending = node.client.recv(10).catch((e: unknown) => e);
        node.peer.resetAndDestroy();
        assert.ok((await within(pending, 5000, 'reset')) instanceof ConnectionResetError);
        assert.deepEqual(node.client.localEndpoint, local);
        assert.deepEqual(node.client.remoteEndpoint, remote);
        await within(node.client.close(), 5000, 'close');
        assert.deepEqual(node.client.localEndpoint, local);
        assert.deepEqual(node.client.remoteEndpoint, remote);
      } finally {
        await node.close();
      }
    });

    it('sendAll to a peer that has reset rejects with ConnectionResetError', async (t) => {
      if (await unavailable(t, family)) return;
      const node = await nodePeer(loopback);
      try {
        node.peer.resetAndDestroy();
        let error: unknown;
        // The reset reaches us either through the next write or through reading; either way
        // a send fails within a few attempts.
        for (let i = 0; i < 50 && error === undefined; i++) {
          error = await within(
            node.client.sendAll(Buffer.alloc(1024)).then(
              () => undefined,
              (e: unknown) => e,
            ),
            5000,
            'sendAll',
          );
        }
        assert.ok(error instanceof ConnectionResetError, String(error));
        assert.match(error.message, /send to .* connection reset by peer/);
      } finally {
        await node.close();
      }
    });

    it('async iteration yields the chunks until end of stream', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        const collecting = (async () => {
          const chunks: Buffer[] = [];
          for await (const chunk of pair.peer) chunks.push(chunk);
          return Buffer.concat(chunks).toString();
        })();
        for (const word of ['one ', 'two ', 'three']) await pair.client.sendAll(word);
        await pair.client.shutdown('write');
        assert.equal(await within(collecting, 5000, 'iteration'), 'one two three');
      } finally {
        await pair.close();
      }
    });

    it('leaving an async iteration keeps the socket open, and a new one reads on', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        await pair.client.sendAll('first');
        const iterator = pair.peer[Symbol.asyncIterator]();
        const step = await within(iterator.next(), 5000, 'first chunk');
        assert.equal(step.done, false);
        assert.equal(step.value?.toString(), 'first');
        assert.deepEqual(await iterator.return(), { value: undefined, done: true });
        // A finished iterator stays finished, as a generator's does.
        assert.deepEqual(await iterator.next(), { value: undefined, done: true });
        assert.equal(pair.peer.closed, false);
        await pair.client.sendAll('second');
        await pair.client.shutdown('write');
        const rest: Buffer[] = [];
        for await (const chunk of pair.peer) rest.push(chunk);
        assert.equal(Buffer.concat(rest).toString(), 'second');
      } finally {
        await pair.close();
      }
    });

    it('async iteration throws a reset by the peer once, then is done', async (t) => {
      if (await unavailable(t, family)) return;
      const node = await nodePeer(loopback);
      try {
        const iterator = node.client[Symbol.asyncIterator]();
        const pending = iterator.next().catch((e: unknown) => e);
        node.peer.resetAndDestroy();
        const error = await within(pending, 5000, 'reset');
        assert.ok(error instanceof ConnectionResetError, String(error));
        assert.deepEqual(await iterator.next(), { value: undefined, done: true });
      } finally {
        await node.close();
      }
    });

    it('async iteration ends quietly when the socket is closed locally', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        const received: Buffer[] = [];
        let firstSeen: () => void = () => undefined;
        const first = new Promise<void>((resolve) => (firstSeen = resolve));
        const iterating = (async () => {
          for await (const chunk of pair.peer) {
            received.push(chunk);
            firstSeen();
          }
        })();
        await pair.client.sendAll('x');
        await within(first, 5000, 'first chunk');
        await pair.peer.close();
        await within(iterating, 5000, 'iteration end');
        assert.equal(Buffer.concat(received).toString(), 'x');
      } finally {
        await pair.close();
      }
    });
  });
}
