import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:buffer';
import fc from 'fast-check';
import {
  encodeFrame,
  FrameDecoder,
  FrameTooLargeError,
  IncompleteReadError,
  ProtocolError,
} from '../../src/index.js';
import type { LengthPrefix } from '../../src/index.js';

const PREFIXES: readonly LengthPrefix[] = ['uint16be', 'uint32be', 'varint'];

/** Cuts `bytes` at the given offsets (any numbers; taken modulo the length, sorted). */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    chunks.push(bytes.subarray(from, to));
    from = to;
  }
  return chunks;
}

function decodeAll(decoder: FrameDecoder, chunks: Uint8Array[]): Buffer[] {
  const out: Buffer[] = [];
  for (const chunk of chunks) decoder.push(chunk, out);
  return out;
}

const message = fc.oneof(
  { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 1, arbitrary: largeMessage() },
);

/**
 * A message of 60,000-70,000 bytes (either side of the 16-bit prefix's limit, and longer than
 * any varint group): a random pattern repeated to a random length. What the decoder does with
 * a long frame depends on its length and where the chunks are cut, not on which bytes it holds,
 * and drawing 70,000 random bytes one by one took most of the file's time.
 */
function largeMessage(): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 60_000, max: 70_000 }))
    .map(([pattern, length]) => {
      const bytes = new Uint8Array(length);
      for (let at = 0; at < length; at += pattern.length)
        bytes.set(pattern.subarray(0, length - at), at);
      return bytes;
    });
}

describe('FrameDecoder', () => {
  it('decodes any split of any sequence of frames into the same messages', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PREFIXES),
        fc.array(message, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (prefix, messages, cuts) => {
          const sendable = messages.filter((m) => prefix !== 'uint16be' || m.length <= 65_535);
          const stream = Buffer.concat(sendable.map((m) => encodeFrame(m, { prefix })));
          const decoder = new FrameDecoder({ prefix });
          const decoded = decodeAll(decoder, split(stream, cuts));
          assert.deepEqual(
            decoded.map((m) => Buffer.from(m)),
            sendable.map((m) => Buffer.from(m)),
          );
          assert.equal(decoder.pending, 0);
          decoder.end();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decodes byte by byte (every prefix split in every place)', () => {
    for (const prefix of PREFIXES) {
      const messages = ['', 'a', 'x'.repeat(127), 'y'.repeat(128), 'z'.repeat(300), ''];
      const stream = Buffer.concat(messages.map((m) => encodeFrame(m, { prefix })));
      const bytes = [...stream].map((b) => Uint8Array.of(b));
      const decoded = decodeAll(new FrameDecoder({ prefix }), bytes);
      assert.deepEqual(
        decoded.map((m) => m.toString()),
        messages,
        prefix,
      );
    }
  });

  it('returns frames within one chunk as views of it, and copies only spanning frames', () => {
    const chunk = Buffer.concat([encodeFrame('one'), encodeFrame('two'), encodeFrame('three')]);
    const decoder = new FrameDecoder();
    const within = decoder.push(chunk.subarray(0, chunk.length - 2));
    const [spanning] = decoder.push(chunk.subarray(chunk.length - 2));
    assert.deepEqual(
      [...within, spanning].map((m) => m?.toString()),
      ['one', 'two', 'three'],
    );
    // A view shows later changes to the chunk; a copy does not.
    chunk.fill(0x21);
    assert.deepEqual(
      [...within, spanning].map((m) => m?.toString()),
      ['!!!', '!!!', 'three'],
    );
  });

  it('decodes one message at a time with feed() and next()', () => {
    const decoder = new FrameDecoder({ prefix: 'varint' });
    const frames = Buffer.concat(['a', '', 'b'].map((m) => encodeFrame(m, { prefix: 'varint' })));
    decoder.feed(frames.subarray(0, 4));
    assert.equal(decoder.next()?.toString(), 'a');
    assert.throws(() => decoder.feed(frames.subarray(4)), /previous chunk is not used up/);
    assert.throws(() => decoder.end(), /last chunk is not used up/);
    assert.equal(decoder.next()?.toString(), '');
    assert.equal(decoder.next(), undefined, 'the rest is an incomplete frame');
    assert.equal(decoder.pending, 1);
    decoder.feed(frames.subarray(4));
    assert.equal(decoder.next()?.toString(), 'b');
    assert.equal(decoder.next(), undefined);
    decoder.end();
  });

  it('accepts Uint8Array chunks as well as Buffers', () => {
    const frame = encodeFrame('plain', { prefix: 'varint' });
    const chunk = new Uint8Array(frame.length);
    chunk.set(frame);
    const [decoded] = new FrameDecoder({ prefix: 'varint' }).push(chunk);
    assert.ok(Buffer.isBuffer(decoded));
    assert.equal(decoded.toString(), 'plain');
  });

  it('refuses an oversized announcement, keeping the messages before it', () => {
    const decoder = new FrameDecoder({ prefix: 'uint16be', maxMessageSize: 100 });
    const chunk = Buffer.concat([
      encodeFrame('a', { prefix: 'uint16be' }),
      encodeFrame('b', { prefix: 'uint16be' }),
      Buffer.from('0065', 'hex'),
      Buffer.alloc(101),
    ]);
    const out: Buffer[] = [];
    assert.throws(
      () => decoder.push(chunk, out),
      (error: unknown) =>
        error instanceof FrameTooLargeError &&
        error.code === 'ERR_FRAME_TOO_LARGE' &&
        error.size === 101 &&
        error.limit === 100 &&
        /announced a 101-byte message; the limit is 100 bytes/.test(error.message),
    );
    assert.deepEqual(
      out.map((m) => m.toString()),
      ['a', 'b'],
    );
    assert.throws(() => decoder.push(encodeFrame('c')), FrameTooLargeError, 'stays failed');
    assert.throws(() => decoder.end(), FrameTooLargeError);
  });

  it('sets no memory aside for an announced frame before its bytes arrive', () => {
    const decoder = new FrameDecoder({ prefix: 'uint32be', maxMessageSize: constants.MAX_LENGTH });
    const before = process.memoryUsage().arrayBuffers;
    decoder.push(Buffer.from('ffffffff' + '00'.repeat(10), 'hex'));
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 1024 * 1024, `a 4 GiB announcement made the decoder hold ${grown} bytes`);
    assert.equal(decoder.pending, 14);
    assert.throws(
      () => decoder.end(),
      (error: unknown) =>
        error instanceof IncompleteReadError &&
        error.expected === 0xffff_ffff &&
        error.partial.length === 10,
    );
  });

  it('refuses a varint prefix longer than 8 bytes, even split across chunks', () => {
    const tooLong = Buffer.from('80'.repeat(8) + '01', 'hex');
    for (const chunks of [
      [tooLong],
      split(tooLong, [3, 5]),
      [...tooLong].map((b) => Uint8Array.of(b)),
    ]) {
      const decoder = new FrameDecoder({ prefix: 'varint' });
      assert.throws(
        () => decodeAll(decoder, chunks),
        (error: unknown) =>
          error instanceof ProtocolError &&
          error.code === 'ERR_PROTOCOL' &&
          /malformed varint length prefix: more than 8 bytes/.test(error.message),
      );
    }
  });

  it('refuses a varint length that overflows 2^53 - 1', () => {
    const decoder = new FrameDecoder({ prefix: 'varint' });
    assert.throws(
      () => decoder.push(Buffer.from('ffffffffffffff10', 'hex')),
      (error: unknown) =>
        error instanceof ProtocolError && /overflows 2\^53 - 1/.test(error.message),
    );
    // The largest 8-byte varint is 2^53 - 1: well formed, but over any size limit.
    assert.throws(
      () => new FrameDecoder({ prefix: 'varint' }).push(Buffer.from('ffffffffffffff0f', 'hex')),
      (error: unknown) =>
        error instanceof FrameTooLargeError && error.size === Number.MAX_SAFE_INTEGER,
    );
  });

  it('accepts a non-minimal varint (zero high groups), as protobuf readers do', () => {
    const [decoded] = new FrameDecoder({ prefix: 'varint' }).push(
      Buffer.from('838000616263', 'hex'),
    );
    assert.equal(decoded?.toString(), 'abc');
  });

  it('reports a stream that ends mid-prefix like readexactly of the prefix', () => {
    const decoder = new FrameDecoder({ prefix: 'uint32be' });
    decoder.push(Buffer.concat([encodeFrame('ok'), Buffer.from('0000', 'hex')]));
    assert.equal(decoder.pending, 2);
    assert.throws(
      () => decoder.end(),
      (error: unknown) =>
        error instanceof IncompleteReadError &&
        error.code === 'ERR_INCOMPLETE_READ' &&
        error.expected === 4 &&
        error.partial.equals(Buffer.from('0000', 'hex')),
    );
    const varint = new FrameDecoder({ prefix: 'varint' });
    varint.push(Buffer.from('8080', 'hex'));
    assert.throws(
      () => varint.end(),
      (error: unknown) => error instanceof IncompleteReadError && error.expected === 3,
    );
  });

  it('reports a stream that ends mid-message with the bytes received and the length', () => {
    const decoder = new FrameDecoder({ prefix: 'uint16be' });
    const frame = encodeFrame('hello world', { prefix: 'uint16be' });
    decoder.push(frame.subarray(0, 7));
    assert.equal(decoder.pending, 7);
    assert.throws(
      () => decoder.end(),
      (error: unknown) =>
        error instanceof IncompleteReadError &&
        error.expected === 11 &&
        error.partial.toString() === 'hello' &&
        /ended after 5 of 11 expected bytes/.test(error.message),
    );
  });

  it('survives random garbage: only typed errors, bounded holdings, bounded messages', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PREFIXES),
        fc.integer({ min: 0, max: 2000 }),
        fc.array(fc.uint8Array({ maxLength: 600 }), { maxLength: 20 }),
        (prefix, maxMessageSize, chunks) => {
          const decoder = new FrameDecoder({ prefix, maxMessageSize });
          let pushed = 0;
          try {
            for (const chunk of chunks) {
              for (const m of decoder.push(chunk)) assert.ok(m.length <= maxMessageSize);
              pushed += chunk.length;
              assert.ok(decoder.pending <= Math.min(pushed, maxMessageSize + 8));
            }
            decoder.end();
          } catch (error) {
            if (
              !(error instanceof FrameTooLargeError) &&
              !(error instanceof ProtocolError) &&
              !(error instanceof IncompleteReadError)
            ) {
              throw error;
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
