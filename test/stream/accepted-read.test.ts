import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { ConnectionResetError, SocketError, StreamSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { pattern } from '../helpers/child.js';
import { FAMILIES, unavailable } from '../helpers/families.js';
import { connectedPair, listening, readToEnd } from './pair.js';
import { sendPattern, stallThenDeliver } from './pattern-transfer.js';

const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * Counts the 'data' events of every net.Socket a net.Server accepts while `body` runs (Node
 * publishes each on the 'net.server.socket' channel right after making it).
 */
async function countingDataEvents(body: () => Promise<void>): Promise<number> {
  let events = 0;
  const onSocket = (message: unknown): void => {
    (message as { socket: Socket }).socket.on('data', () => events++);
  };
  subscribe('net.server.socket', onSocket);
  try {
    await body();
  } finally {
    unsubscribe('net.server.socket', onSocket);
  }
  return events;
}

for (const { family, loopback } of FAMILIES) {
  describe(`StreamSocket accepted by a StreamServer over ${family}`, () => {
    it("reads without net.Socket's 'data' events, up to end of stream, and answers after it", async (t) => {
      if (await unavailable(t, family)) return;
      const total = 4 * MIB;
      let received: Buffer | undefined;
      const events = await countingDataEvents(async () => {
        const pair = await connectedPair(loopback);
        try {
          const sending = sendPattern(pair.client, total, 64 * KIB).then(() =>
            pair.client.shutdown('write'),
          );
          received = await readToEnd(pair.peer);
          await within(sending, 10_000, 'sending');
          // The connection is half-closed: the accepted side still answers.
          await pair.peer.sendAll('done');
          assert.equal(
            (await within(pair.client.recvExactly(4), 5000, 'answer')).toString(),
            'done',
          );
        } finally {
          await pair.close();
        }
      });
      assert.ok(received?.equals(pattern(0, total)), 'the bytes differ');
      // The reads went into the shared read buffer, not through the stream machinery.
      assert.equal(events, 0, `the accepted socket emitted ${events} 'data' events`);
    });

    it('connections receiving at once each get their own bytes, never overwritten', async (t) => {
      if (await unavailable(t, family)) return;
      // Accepted and connected sockets share one read buffer and copy each read out of it: a
      // read handed out without its copy would be overwritten by the next read of any of them.
      await using server = await listening(loopback);
      const clients: StreamSocket[] = [];
      const peers: StreamSocket[] = [];
      try {
        for (let i = 0; i < 4; i++) {
          clients.push(await within(StreamSocket.connect(server.localEndpoint), 5000, 'connect'));
          peers.push(await within(server.accept(), 5000, 'accept'));
        }
        const total = 2 * MIB;
        const receiving = peers.map(async (peer, index) => {
          const client = clients[index] as StreamSocket;
          const offset = index * 3 * MIB + index;
          // Each accepted socket also sends to its client, so connected sockets read too.
          const sending = Promise.all([
            sendPattern(client, total, 4 * KIB + index * 1000, undefined, offset),
            sendPattern(peer, total, 3 * KIB + index * 700, undefined, offset),
          ]);
          const pieces: Buffer[] = [];
          const echoed: Buffer[] = [];
          let received = 0;
          let back = 0;
          for (let i = 0; i < 100_000 && (received < total || back < total); i++) {
            if (received < total) {
              const piece = await within(peer.recv(MIB), 10_000, 'recv');
              pieces.push(piece);
              received += piece.length;
            }
            if (back < total) {
              const piece = await within(client.recv(MIB), 10_000, 'recv');
              echoed.push(piece);
              back += piece.length;
            }
          }
          await within(sending, 10_000, 'sending');
          return { pieces, echoed, offset };
        });
        for (const { pieces, echoed, offset } of await Promise.all(receiving)) {
          assert.ok(Buffer.concat(pieces).equals(pattern(offset, total)), 'the bytes differ');
          assert.ok(Buffer.concat(echoed).equals(pattern(offset, total)), 'the bytes back differ');
        }
      } finally {
        await within(
          Promise.all([...clients, ...peers].map((socket) => socket.close())),
          5000,
          'closing',
        );
      }
    });

    it("a reset by the client rejects the accepted socket's pending recv", async (t) => {
      if (await unavailable(t, family)) return;
      await using server = await listening(loopback);
      const client = connect(server.localEndpoint.port, loopback);
      client.on('error', () => undefined);
      try {
        await within(once(client, 'connect'), 5000, 'connect');
        await using peer = await within(server.accept(), 5000, 'accept');
        client.write('hello');
        assert.equal((await within(peer.recvExactly(5), 5000, 'data')).toString(), 'hello');
        const pending = peer.recv(10).catch((error: unknown) => error);
        client.resetAndDestroy();
        const error = await within(pending, 5000, 'reset');
        assert.ok(error instanceof ConnectionResetError, String(error));
        assert.deepEqual(error.endpoint, peer.remoteEndpoint);
        await assert.rejects(peer.recv(10), ConnectionResetError);
      } finally {
        client.destroy();
      }
    });

    it('closing the accepted socket on its first read, while data pours in, ends it cleanly', async (t) => {
      if (await unavailable(t, family)) return;
      await using server = await listening(loopback);
      const closedOn = await within(
        (async () => {
          await using client = await StreamSocket.connect(server.localEndpoint);
          const peer = await server.accept();
          // More than the kernel's buffers hold, so the sender is still sending at the close.
          const sending = sendPattern(client, 64 * MIB, 256 * KIB).then(
            () => undefined,
            (error: unknown) => error,
          );
          let first = 0;
          for await (const chunk of peer) {
            first = chunk.length;
            await peer.close();
          }
          const error = await sending;
          assert.ok(error instanceof SocketError, `the sender got no error: ${String(error)}`);
          return first;
        })(),
        20_000,
        'closing while receiving',
      );
      assert.ok(closedOn > 0);
      assert.equal(server.stats.open, 0);
      // The shared read buffer still serves the next connection.
      const pair = await connectedPair(loopback);
      try {
        await pair.client.sendAll('next');
        assert.equal((await within(pair.peer.recvExactly(4), 5000, 'next')).toString(), 'next');
      } finally {
        await pair.close();
      }
    });
  });
}

// Flow control does not depend on the family: 96 MiB are sent once, over IPv4.
describe('StreamSocket accepted by a StreamServer, not reading', () => {
  it('stalls the sender at its receiveBufferLimit, then gets every byte', async () => {
    const pair = await connectedPair('127.0.0.1', { server: { receiveBufferLimit: 256 * KIB } });
    try {
      await stallThenDeliver(pair.client, pair.peer);
    } finally {
      await pair.close();
    }
  });
});
