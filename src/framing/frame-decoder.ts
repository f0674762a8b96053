import { FrameTooLargeError, IncompleteReadError, ProtocolError } from '../errors.js';
import type { SocketErrorOptions } from '../errors.js';
import type { FramingOptions, LengthPrefix } from './length-prefix.js';
import { MAX_VARINT_BYTES, resolveFraming } from './length-prefix.js';

/**
 * A frame that spans chunks is gathered in a buffer that starts at most this large and doubles
 * as its bytes arrive, so that a peer announcing a large frame and then sending little (or
 * nothing) makes the decoder hold no more than this or twice what the peer actually sent.
 */
const FIRST_BODY_CAPACITY = 64 * 1024;

const EMPTY = Buffer.alloc(0);

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk)
    ? chunk
    : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Splits a byte stream into length-prefixed messages. Feed it the chunks as they arrive, cut
 * anywhere; it hands back each message once complete.
 *
 * A message that lies within one chunk is returned as a view of that chunk (no copy); only a
 * message that spans chunks is copied, into a buffer of its own. The decoder keeps at most the
 * one incomplete frame, never more than {@link FrameDecoder.maxMessageSize} plus its prefix.
 *
 * A prefix that announces more than `maxMessageSize` raises {@link FrameTooLargeError}, and a
 * malformed varint prefix {@link ProtocolError}; both are raised before any memory is set aside
 * for the frame, and the decoder stays failed (the stream cannot be resynchronised).
 */
export class FrameDecoder {
  /** The length prefix read. */
  readonly prefix: LengthPrefix;
  /** The longest message accepted, in bytes. */
  readonly maxMessageSize: number;

  readonly #fixedHeaderSize: number;
  /** Prefix bytes of the current frame, kept only while the prefix spans chunks. */
  readonly #header = Buffer.alloc(MAX_VARINT_BYTES);
  #headerBytes = 0;
  /** The size of the current frame's prefix once read (for the pending count). */
  #headerLength = 0;
  /** The current frame's length once its prefix is read, -1 while reading the prefix. */
  #length = -1;
  #body: Buffer | undefined;
  #filled = 0;
  #failure: Error | undefined;
  /** The chunk being decoded, and how far. */
  #data: Buffer = EMPTY;
  #pos = 0;

  constructor(options: FramingOptions = {}) {
    const framing = resolveFraming(options);
    this.prefix = framing.prefix;
    this.maxMessageSize = framing.maxMessageSize;
    this.#fixedHeaderSize = framing.fixedHeaderSize;
  }

  /**
   * Bytes of an incomplete frame held (its prefix and body so far); 0 at a frame boundary.
   * Non-zero at the end of the stream means the peer stopped mid-frame.
   */
  get pending(): number {
    return this.#length < 0 ? this.#headerBytes : this.#headerLength + this.#filled;
  }

  /** The error that stopped the decoder, if any. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  /**
   * Decodes `chunk`, appending each message it completes to `out` (a new array by default),
   * and returns `out`. If the chunk holds a frame that is too large or malformed, this throws,
   * and `out` still holds the messages that came before it, in order.
   */
  push(chunk: Uint8Array, out: Buffer[] = []): Buffer[] {
    this.feed(chunk);
    for (let message = this.next(); message !== undefined; message = this.next()) {
      out.push(message);
    }
    return out;
  }

  /**
   * Takes `chunk` for decoding one message at a time with {@link FrameDecoder.next}, so that a
   * consumer decodes only as far as it reads (memory then stays at the chunk itself, however
   * many tiny frames it holds). The previous chunk must have been used up: `next()` returned
   * undefined.
   */
  feed(chunk: Uint8Array): void {
    if (this.#failure) throw this.#failure;
    if (this.#pos < this.#data.length) {
      throw new Error(
        'FrameDecoder.feed: the previous chunk is not used up; call next() until it returns undefined',
      );
    }
    this.#data = asBuffer(chunk);
    this.#pos = 0;
  }

  /**
   * The next complete message from the chunks fed, or undefined once the last chunk is used
   * up (any incomplete frame is kept for the next chunk). Throws `FrameTooLargeError` or
   * `ProtocolError` when it reaches a bad prefix.
   */
  next(): Buffer | undefined {
    if (this.#failure) throw this.#failure;
    const data = this.#data;
    const end = data.length;
    let pos = this.#pos;
    for (;;) {
      if (this.#length < 0) {
        if (pos >= end) break;
        pos = this.#readHeader(data, pos, end);
        if (this.#length < 0) break;
      }
      const length = this.#length;
      if (this.#filled === 0 && end - pos >= length) {
        this.#pos = pos + length;
        this.#length = -1;
        return data.subarray(pos, pos + length);
      }
      if (pos >= end) break;
      const take = Math.min(end - pos, length - this.#filled);
      const body = this.#reserve(this.#filled + take, length);
      data.copy(body, this.#filled, pos, pos + take);
      pos += take;
      this.#filled += take;
      if (this.#filled < length) break;
      this.#pos = pos;
      this.#body = undefined;
      this.#filled = 0;
      this.#length = -1;
      return body;
    }
    // Used up: let the chunk go, the frame in progress holds what it needs of it.
    this.#data = EMPTY;
    this.#pos = 0;
    return undefined;
  }

  /**
   * Declares the end of the stream. Returns quietly at a frame boundary; throws
   * {@link IncompleteReadError} when the stream stopped mid-frame, like Python's
   * `readexactly`: for the read in progress, `partial` holds the bytes received and `expected`
   * how many it needed (the prefix size, or for a varint prefix at least one more byte; or the
   * message length). `options` add the endpoint to the error.
   */
  end(options: SocketErrorOptions = {}): void {
    if (this.#failure) throw this.#failure;
    if (this.#pos < this.#data.length) {
      throw new Error('FrameDecoder.end: the last chunk is not used up; call next() first');
    }
    if (this.#length >= 0) {
      const partial = Buffer.from(this.#body?.subarray(0, this.#filled) ?? Buffer.alloc(0));
      throw new IncompleteReadError(partial, this.#length, options);
    }
    if (this.#headerBytes > 0) {
      const partial = Buffer.from(this.#header.subarray(0, this.#headerBytes));
      const expected = this.#fixedHeaderSize || this.#headerBytes + 1;
      throw new IncompleteReadError(partial, expected, options);
    }
  }

  /**
   * Lets go of the incomplete frame and the chunk being decoded, for a stream that has ended
   * (a peer that stalled mid-frame, or a closed connection): their memory is freed even while
   * the decoder itself is still referenced. Every later call fails.
   */
  release(): void {
    this.#failure ??= new Error('FrameDecoder: released; the stream has ended');
    this.#body = undefined;
    this.#data = EMPTY;
    this.#pos = 0;
    this.#filled = 0;
    this.#length = -1;
    this.#headerBytes = 0;
  }

  /** Reads a prefix starting at `pos`; returns the position after what it consumed. */
  #readHeader(data: Buffer, pos: number, end: number): number {
    const fixed = this.#fixedHeaderSize;
    if (this.#headerBytes === 0) {
      if (fixed === 4 && end - pos >= 4) {
        this.#setLength(data.readUInt32BE(pos), 4);
        return pos + 4;
      }
      if (fixed === 2 && end - pos >= 2) {
        this.#setLength(data.readUInt16BE(pos), 2);
        return pos + 2;
      }
      if (fixed === 0) {
        const stop = Math.min(end, pos + MAX_VARINT_BYTES);
        for (let i = pos; i < stop; i++) {
          if ((data[i] as number) < 0x80) {
            this.#setLength(this.#varint(data, pos, i + 1), i + 1 - pos);
            return i + 1;
          }
        }
        if (stop - pos === MAX_VARINT_BYTES) this.#fail(this.#tooLongVarint());
      }
    }
    // The prefix spans chunks: gather it byte by byte (it is at most 8 bytes).
    const header = this.#header;
    while (pos < end) {
      const byte = data[pos++] as number;
      header[this.#headerBytes++] = byte;
      if (fixed === 0) {
        if (byte < 0x80) {
          const size = this.#headerBytes;
          this.#headerBytes = 0;
          this.#setLength(this.#varint(header, 0, size), size);
          return pos;
        }
        if (this.#headerBytes === MAX_VARINT_BYTES) this.#fail(this.#tooLongVarint());
      } else if (this.#headerBytes === fixed) {
        this.#headerBytes = 0;
        this.#setLength(fixed === 4 ? header.readUInt32BE(0) : header.readUInt16BE(0), fixed);
        return pos;
      }
    }
    return pos;
  }

  /** The value of the complete varint in `bytes[start, stop)`. */
  #varint(bytes: Buffer, start: number, stop: number): number {
    let value = 0;
    let scale = 1;
    for (let i = start; i < stop; i++) {
      const group = (bytes[i] as number) & 0x7f;
      // The 8th byte holds bits 49-55; only 49-52 fit a safe integer.
      if (i - start === MAX_VARINT_BYTES - 1 && group > 0x0f) {
        this.#fail(
          new ProtocolError(
            'malformed varint length prefix: the length overflows 2^53 - 1 ' +
              `(prefix bytes ${bytes.subarray(start, stop).toString('hex')})`,
          ),
        );
      }
      value += group * scale;
      scale *= 0x80;
    }
    return value;
  }

  #tooLongVarint(): ProtocolError {
    return new ProtocolError(
      `malformed varint length prefix: more than ${MAX_VARINT_BYTES} bytes ` +
        '(no length needs more; the peer does not speak this framing)',
    );
  }

  #setLength(length: number, headerLength: number): void {
    if (length > this.maxMessageSize) {
      this.#fail(
        new FrameTooLargeError(
          `peer announced a ${length}-byte message; the limit is ${this.maxMessageSize} bytes ` +
            '(maxMessageSize)',
          length,
          this.maxMessageSize,
        ),
      );
    }
    this.#length = length;
    this.#headerLength = headerLength;
  }

  /** The body buffer, grown to hold at least `needed` of the frame's `length` bytes. */
  #reserve(needed: number, length: number): Buffer {
    const body = this.#body;
    if (body !== undefined && body.length >= needed) return body;
    const grown = Math.min(
      length,
      Math.max(needed, FIRST_BODY_CAPACITY, body === undefined ? 0 : body.length * 2),
    );
    const next = Buffer.allocUnsafe(grown);
    if (body !== undefined) body.copy(next, 0, 0, this.#filled);
    this.#body = next;
    return next;
  }

  #fail(error: Error): never {
    this.#failure = error;
    throw error;
  }
}
