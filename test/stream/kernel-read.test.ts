/**
 * `recvInto` on a connection whose kernel already holds data takes it straight into the
 * caller's memory (with the native addon; without it, through the socket's own read). Either
 * way the caller must see the same stream: every byte in order across every kind of read, the
 * event loop given its turns while a fast peer keeps the kernel's queue full, a reset reported
 * as a reset, and an idle timer that counts the bytes taken as traffic.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { describe, it, mock } from 'node:test';
import { ConnectionResetError, TimeoutError } from '../../src/index.js';
import { nativeAddon } from '../../src/internal/native-addon.js';
import { readFromKernel } from '../../src/stream/kernel-read.js';
import { until, within } from '../helpers/bounded.js';
import { pattern } from '../helpers/child.js';
import { pythonTcpPeers, work } from './python-tcp-peer.js';

const KiB = 1024;
const MiB = 1024 * KiB;

const peers = pythonTcpPeers();

/** Checks that `data` is the pattern from `offset` on; returns the offset after it. */
function checkPattern(data: Uint8Array, offset: number): number {
  assert.ok(
    Buffer.from(data.buffer, data.byteOffset, data.length).equals(pattern(offset, data.length)),
    `bytes differ in the ${data.length} read at ${offset}`,
  );
  return offset + data.length;
}

describe('StreamSocket.recvInto with data already in the kernel', () => {
  it('keeps a 16 MiB stream whole and in order across recvInto, recv and recvExactly', async () => {
    const total = 16 * MiB;
    const { socket } = await peers.accept('push', [total, 'hold']);
    const targets = [1, 1000, 64 * KiB, MiB, 3].map((size) => Buffer.alloc(size));
    let offset = 0;
    // Bounded: every step takes at least one byte.
    for (let step = 0; offset < total && step < total; step++) {
      const kind = step % 7;
      if (kind < targets.length) {
        const target = targets[kind] as Buffer;
        const n = await within(socket.recvInto(target), 10_000, `recvInto at ${offset}`);
        assert.ok(n > 0, `end of stream after ${offset} bytes`);
        offset = checkPattern(target.subarray(0, n), offset);
      } else if (kind === 5) {
        offset = checkPattern(await within(socket.recv(65536), 10_000, 'recv'), offset);
      } else {
        const n = Math.min(5000, total - offset);
        offset = checkPattern(await within(socket.recvExactly(n), 10_000, 'recvExactly'), offset);
      }
    }
    assert.equal(offset, total);
  });

  it('gives the event loop a turn while a fast peer keeps the kernel queue full', async () => {
    // Held data is served at once too, without a turn: the limit bounds it.
    const limit = 64 * KiB;
    const { socket } = await peers.accept('flood', [512 * MiB], { receiveBufferLimit: limit });
    const buffer = Buffer.alloc(4 * KiB);
    // Let the flow get going (and the connection grow its buffers) before counting.
    for (let taken = 0; taken < 8 * MiB;) {
      taken += await within(socket.recvInto(buffer), 10_000, 'recvInto');
    }
    let turned = false;
    setImmediate(() => (turned = true));
    let sinceScheduled = 0;
    // Bounded: the peer sends at most 512 MiB.
    while (!turned) {
      const n = await within(socket.recvInto(buffer), 10_000, 'recvInto');
      assert.ok(n > 0, 'the flood ended early');
      sinceScheduled += n;
    }
    // A turn comes after what was held (the limit, and one read of the socket's own), at
    // most 32 reads at once, and what the socket's own reads take in one readiness of the
    // connection (libuv reads up to 32 times 64 KiB).
    assert.ok(
      sinceScheduled <= limit + 64 * KiB + 32 * buffer.length + 32 * 64 * KiB,
      `${sinceScheduled} bytes were read before the event loop had a turn`,
    );
  });

  it('reports a reset that a read finds in the kernel, after the bytes before it', async (t) => {
    if (nativeAddon() === undefined) {
      // Node's own read (libuv) takes a hang-up that follows a read shorter than its buffer
      // for the end of the stream, without reading on: the reset is then never seen.
      t.skip('without the native addon, a reset after data may read as end of stream');
      return;
    }
    // The small limit stops the socket's own reads after its first: what follows, and the
    // reset, wait in the kernel until recvInto asks.
    const sent = 512 * KiB;
    const { socket, peer } = await peers.accept('push', [sent, 'reset'], {
      receiveBufferLimit: 16 * KiB,
    });
    assert.equal(await peer.nextLine(10_000), 'RESET');
    const buffer = Buffer.alloc(64 * KiB);
    let offset = 0;
    let failure: unknown;
    // Bounded: each read takes at least one byte of at most `sent`, or ends the loop.
    for (let reads = 0; reads <= sent && failure === undefined; reads++) {
      try {
        const n = await within(socket.recvInto(buffer), 10_000, 'recvInto');
        assert.ok(n > 0, `end of stream after ${offset} bytes, not a reset`);
        offset = checkPattern(buffer.subarray(0, n), offset);
      } catch (error) {
        failure = error;
      }
    }
    assert.ok(failure instanceof ConnectionResetError, `failed with ${String(failure)}`);
    assert.ok(offset > 0 && offset <= sent, `${offset} bytes before the reset`);
  });

  it('reads straight from the kernel again once a window of mocked timers has passed', async (t) => {
    if (nativeAddon() === undefined) {
      t.skip("without the native addon, every read is the socket's own");
      return;
    }
    // An application's tests may mock setImmediate (node:test's mock.timers, fake timers)
    // while they read from a real peer: a turn's reads at once spent meanwhile must not stay
    // spent once the mock is gone, or every read after would wait for the socket's own. A
    // connection that Node does not read (paused on connect) is read here the way recvInto
    // reads it.
    const server = createServer({ pauseOnConnect: true });
    const sockets: Socket[] = [];
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const accepted = once(server, 'connection');
      sockets.push(connect((server.address() as AddressInfo).port, '127.0.0.1'));
      const [reader] = (await within(accepted, 5000, 'the connection')) as [Socket];
      sockets.push(reader);
      // More than a turn's reads of 1 KiB.
      await new Promise((resolve) => sockets[0]?.write(Buffer.alloc(64 * KiB), resolve));
      const target = Buffer.alloc(KiB);
      await until(() => readFromKernel(reader, target) > 0, 5000, 'bytes in the kernel');
      // From a turn's end, so that the mocked window's reads start a count of their own.
      await new Promise<void>((resolve) => setImmediate(resolve));
      mock.timers.enable({ apis: ['setImmediate'] });
      let reads = 0;
      try {
        // Bounded: 63 KiB are left to read.
        while (reads < 64 && readFromKernel(reader, target) > 0) reads++;
      } finally {
        mock.timers.reset();
      }
      assert.equal(reads, 32, 'reads at once in one turn');
      await new Promise<void>((resolve) => setImmediate(resolve));
      assert.ok(readFromKernel(reader, target) > 0, 'no read at once after a turn');
    } finally {
      for (const socket of sockets) socket.destroy();
      server.close();
    }
  });

  it('counts bytes taken from the kernel as traffic for the idle timeout', async (t) => {
    if (nativeAddon() === undefined) {
      // Node's own read restarts the idle timer when it reads, and it reads ahead: the reads
      // below would take bytes it read earlier, whose timer has run on since.
      t.skip('without the native addon, reads take what Node read ahead, timed at its read');
      return;
    }
    // All of it in our kernel before the reads start (the peer says so once our kernel has
    // acknowledged every byte: bytes still in the peer's kernel would come only as the reads
    // open the window, and one that came late would be read by Node's own read, at its own
    // time), and little enough for one turn's reads at once: the loop below takes it in one
    // go, busy after each read, for three times the idle timeout without a turn of the loop.
    const total = 96 * KiB;
    const idleTimeout = 80;
    const { socket, peer } = await peers.accept('push', [total, 'settled'], {
      idleTimeout,
      receiveBufferLimit: 16 * KiB,
    });
    assert.equal(await peer.nextLine(10_000), 'SENT');
    // Read from the event loop's check phase, past the turn's I/O: a readiness of the socket
    // that the turn still had to handle would make Node's own read run (and find nothing)
    // right after the loop below, and count as traffic itself.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const buffer = Buffer.alloc(4 * KiB);
    let offset = 0;
    let lastData = 0;
    // Bounded: each read takes at least one byte.
    for (let reads = 0; offset < total && reads < total; reads++) {
      // Timed from before the read: the bytes come, and restart the timer, within it.
      lastData = performance.now();
      const n = await within(socket.recvInto(buffer), 10_000, `recvInto at ${offset}`);
      assert.ok(n > 0, `end of stream after ${offset} bytes`);
      offset = checkPattern(buffer.subarray(0, n), offset);
      work(idleTimeout / 8);
    }
    assert.equal(offset, total);
    // Now the peer is silent: the connection is closed as idle, but not before it has been
    // idle for the whole timeout after the last bytes came.
    await assert.rejects(within(socket.recvInto(buffer), 10_000, 'idle close'), TimeoutError);
    const idleFor = performance.now() - lastData;
    assert.ok(idleFor >= idleTimeout - 1, `closed as idle ${idleFor.toFixed(1)} ms after data`);
  });
});
