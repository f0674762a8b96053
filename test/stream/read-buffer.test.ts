import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentError, StreamServer, StreamSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { pattern } from '../helpers/child.js';
import { FAMILIES, unavailable } from '../helpers/families.js';
import { connectedPair } from './pair.js';
import { sendPattern, stallThenDeliver } from './pattern-transfer.js';

const KIB = 1024;
const MIB = 1024 * KIB;

/**
 * A client (reading into slabs of `readBufferSize`, or by default) that does not read stalls
 * its sender at its receive buffer limit, then gets every byte in order.
 */
async function stallsThenDelivers(loopback: string, readBufferSize: number | undefined) {
  const limit = 256 * KIB;
  const pair = await connectedPair(loopback, {
    client: { readBufferSize, receiveBufferLimit: limit },
  });
  try {
    await stallThenDeliver(pair.peer, pair.client);
  } finally {
    await pair.close();
  }
}

for (const { family, loopback } of FAMILIES) {
  describe(`StreamSocket with readBufferSize over ${family}`, () => {
    it('receives bulk data intact, and what recv returned is never overwritten', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback, { client: { readBufferSize: 256 * KIB } });
      try {
        const total = 8 * MIB;
        const sending = sendPattern(pair.peer, total, 64 * KIB).then(() =>
          pair.peer.shutdown('write'),
        );
        // Every piece is kept until the end: a read that reused memory handed out earlier
        // would show up as a mismatch below.
        const pieces: Buffer[] = [];
        let received = 0;
        for (let i = 0; i < 100_000; i++) {
          const piece = await within(pair.client.recv(MIB), 10_000, 'recv');
          if (piece.length === 0) break;
          pieces.push(piece);
          received += piece.length;
        }
        await within(sending, 10_000, 'sending');
        assert.equal(received, total);
        assert.ok(Buffer.concat(pieces).equals(pattern(0, total)), 'the bytes differ');
      } finally {
        await pair.close();
      }
    });
  });
}

// Flow control does not depend on the family: 96 MiB are sent once per way of reading, over IPv4.
describe('StreamSocket connected, not reading', () => {
  it('stalls the sender at its receiveBufferLimit with readBufferSize, then gets every byte', async () => {
    await stallsThenDelivers('127.0.0.1', 256 * KIB);
  });

  it('stalls the sender at its receiveBufferLimit without readBufferSize, then gets every byte', async () => {
    await stallsThenDelivers('127.0.0.1', undefined);
  });
});

for (const { family, loopback } of FAMILIES) {
  describe(`StreamSocket connected without readBufferSize over ${family}`, () => {
    it('connections receiving at once each get their own bytes, never overwritten', async (t) => {
      if (await unavailable(t, family)) return;
      // Connected sockets share one read buffer and copy each read out of it: a read handed
      // out without its copy would be overwritten by the next read of any of them.
      const made = await Promise.allSettled([0, 1, 2, 3].map(() => connectedPair(loopback)));
      const pairs = made.flatMap((pair) => (pair.status === 'fulfilled' ? [pair.value] : []));
      try {
        for (const pair of made) if (pair.status === 'rejected') throw pair.reason;
        const total = 2 * MIB;
        const receiving = pairs.map(async (pair, index) => {
          const offset = index * 3 * MIB + index;
          const sending = sendPattern(pair.peer, total, 4 * KIB + index * 1000, undefined, offset);
          const pieces: Buffer[] = [];
          let received = 0;
          for (let i = 0; i < 100_000 && received < total; i++) {
            const piece = await within(pair.client.recv(MIB), 10_000, 'recv');
            if (piece.length === 0) break;
            pieces.push(piece);
            received += piece.length;
          }
          await within(sending, 10_000, 'sending');
          return { pieces, received, offset };
        });
        for (const { pieces, received, offset } of await Promise.all(receiving)) {
          assert.equal(received, total);
          assert.ok(Buffer.concat(pieces).equals(pattern(offset, total)), 'the bytes differ');
        }
      } finally {
        await Promise.all(pairs.map((pair) => pair.close()));
      }
    });
  });
}

describe('StreamSocket connected without readBufferSize, small reads', () => {
  it('hands out each small read (1 to 80 bytes) whole and never overwritten', async () => {
    // Reads of up to 64 bytes are copied out of the shared read buffer byte by byte, larger
    // ones in one piece: both kinds are kept while later reads go through the shared buffer.
    const pair = await connectedPair('127.0.0.1');
    try {
      const kept: Buffer[] = [];
      let offset = 0;
      for (let size = 1; size <= 80; size++) {
        await within(pair.peer.sendAll(pattern(offset, size)), 5000, 'sendAll');
        kept.push(await within(pair.client.recvExactly(size), 5000, 'recvExactly'));
        await within(pair.client.sendAll(pattern(offset + 1, size)), 5000, 'sendAll');
        kept.push(await within(pair.peer.recvExactly(size), 5000, 'recvExactly'));
        offset += size;
      }
      offset = 0;
      for (let size = 1; size <= 80; size++) {
        assert.ok(kept[2 * size - 2]?.equals(pattern(offset, size)), `${size} bytes differ`);
        assert.ok(kept[2 * size - 1]?.equals(pattern(offset + 1, size)), `${size} back differ`);
        offset += size;
      }
    } finally {
      await pair.close();
    }
  });
});

describe('StreamSocket readBufferSize option', () => {
  it('refuses sizes out of range and TLS, naming the option', async () => {
    await using server = await StreamServer.listen('127.0.0.1:0');
    for (const bad of [0, 4095, 1.5, 64 * MIB + 1, '65536', Number.NaN]) {
      await assert.rejects(
        StreamSocket.connect(server.localEndpoint, { readBufferSize: bad as number }),
        (error: unknown) =>
          error instanceof InvalidArgumentError && error.argument === 'readBufferSize',
      );
    }
    await assert.rejects(
      StreamSocket.connect(server.localEndpoint, { readBufferSize: 65536, tls: true }),
      (error: unknown) =>
        error instanceof InvalidArgumentError &&
        error.message === 'readBufferSize cannot be used with tls: TLS reads the connection itself',
    );
  });
});
