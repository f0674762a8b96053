import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  AbortError,
  InvalidArgumentError,
  SocketClosedError,
  TimeoutError,
  type StreamSocket,
} from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { connectedPair } from './pair.js';

/** Reads `socket` to end of stream into one reused buffer of `size` bytes; returns every byte. */
async function drainInto(socket: StreamSocket, size: number): Promise<Buffer> {
  const buffer = Buffer.alloc(size);
  const pieces: Buffer[] = [];
  // Bounded: a stream of at most 64 MiB read at least one byte per call.
  for (let reads = 0; reads < 64 * 1024 * 1024; reads++) {
    const n = await within(socket.recvInto(buffer), 5000, 'recvInto');
    if (n === 0) return Buffer.concat(pieces);
    assert.ok(n <= size, `read ${n} bytes into a buffer of ${size}`);
    pieces.push(Buffer.from(buffer.subarray(0, n)));
  }
  throw new Error('the stream never ended');
}

// Both ends read the default way, through the shared read, whose bytes are copied straight into
// a waiting buffer: the connecting end's socket is made for it, the accepted end's adopted into
// it after the accept. Each must keep every byte.
for (const end of ['client', 'peer'] as const) {
  const other = end === 'client' ? 'peer' : 'client';
  describe(`StreamSocket.recvInto on the ${end === 'client' ? 'connecting' : 'accepting'} end`, () => {
    it('writes at most buffer.length bytes at its start and resolves with the count, 0 at end of stream', async () => {
      const pair = await connectedPair('127.0.0.1');
      try {
        const buffer = Buffer.alloc(4, '.');
        const reading = pair[end].recvInto(buffer);
        await pair[other].sendAll('abcdefghij');
        await pair[other].shutdown('write');
        assert.equal(await within(reading, 5000, 'recvInto'), 4);
        assert.equal(buffer.toString(), 'abcd');
        assert.equal(await within(pair[end].recvInto(buffer.subarray(0, 2)), 5000, 'recvInto'), 2);
        assert.equal(buffer.toString(), 'efcd');
        const rest = Buffer.alloc(100);
        assert.equal(await within(pair[end].recvInto(rest), 5000, 'recvInto'), 4);
        assert.equal(rest.subarray(0, 4).toString(), 'ghij');
        for (let i = 0; i < 3; i++) {
          assert.equal(await within(pair[end].recvInto(rest), 5000, 'end of stream'), 0);
        }
      } finally {
        await pair.close();
      }
    });

    it('keeps every byte of 4 MiB read into a buffer smaller than each arrival', async () => {
      const pair = await connectedPair('127.0.0.1');
      try {
        const payload = randomBytes(4 * 1024 * 1024);
        const received = drainInto(pair[end], 1000);
        await within(pair[other].sendAll(payload), 10_000, 'sendAll');
        await pair[other].shutdown('write');
        const got = await within(received, 20_000, 'the whole stream');
        assert.equal(got.length, payload.length);
        assert.ok(got.equals(payload), 'the bytes came in order, none lost or repeated');
      } finally {
        await pair.close();
      }
    });

    it('takes in order what recv and recvInto ask for, with data held before the read', async () => {
      const pair = await connectedPair('127.0.0.1');
      try {
        await pair[other].sendAll('0123456789');
        assert.equal(
          (await within(pair[end].recvExactly(3), 5000, 'recvExactly')).toString(),
          '012',
        );
        const buffer = Buffer.alloc(5);
        assert.equal(await within(pair[end].recvInto(buffer), 5000, 'recvInto'), 5);
        assert.equal(buffer.toString(), '34567');
        assert.equal((await within(pair[end].recv(10), 5000, 'recv')).toString(), '89');
      } finally {
        await pair.close();
      }
    });

    it('times out and aborts with the buffer untouched and no data lost', async () => {
      const pair = await connectedPair('127.0.0.1');
      try {
        const buffer = Buffer.alloc(8, '.');
        await assert.rejects(pair[end].recvInto(buffer, { timeout: 20 }), TimeoutError);
        const controller = new AbortController();
        const aborted = pair[end].recvInto(buffer, { signal: controller.signal });
        controller.abort();
        await assert.rejects(within(aborted, 5000, 'abort'), AbortError);
        assert.equal(buffer.toString(), '........');
        await pair[other].sendAll('kept');
        // The reads that gave up must not take what comes later, nor write into their buffer.
        const next = Buffer.alloc(8);
        assert.equal(await within(pair[end].recvInto(next), 5000, 'recvInto'), 4);
        assert.equal(next.subarray(0, 4).toString(), 'kept');
        assert.equal(buffer.toString(), '........');
      } finally {
        await pair.close();
      }
    });

    it('rejects a pending read with SocketClosedError when the socket is closed', async () => {
      const pair = await connectedPair('127.0.0.1');
      try {
        const pending = assert.rejects(
          within(pair[end].recvInto(Buffer.alloc(16)), 5000, 'recvInto'),
          SocketClosedError,
        );
        await pair[end].close();
        await pending;
        await assert.rejects(pair[end].recvInto(Buffer.alloc(16)), SocketClosedError);
      } finally {
        await pair.close();
      }
    });
  });
}

describe('StreamSocket.recvInto arguments', () => {
  it('refuses an empty buffer and anything but a Uint8Array, naming the argument', async () => {
    const pair = await connectedPair('127.0.0.1');
    try {
      // An object made with Uint8Array's prototype is not one: its length would throw.
      const lookalike: unknown = Object.create(Uint8Array.prototype);
      for (const bad of [Buffer.alloc(0), new Uint8Array(0), 'text', 64, null, [1, 2], lookalike]) {
        await assert.rejects(
          pair.client.recvInto(bad as Uint8Array),
          (error: unknown) =>
            error instanceof InvalidArgumentError &&
            /^buffer must be a Uint8Array of at least 1 byte/.test(error.message),
        );
      }
      // A refused call takes nothing: the data is there for the next read.
      await pair.peer.sendAll('x');
      const buffer = new Uint8Array(4);
      assert.equal(await within(pair.client.recvInto(buffer), 5000, 'recvInto'), 1);
      assert.equal(buffer[0], 0x78);
    } finally {
      await pair.close();
    }
  });
});
