import { Buffer } from 'node:buffer';
import type { Endpoint } from '../endpoint/endpoint.js';
import { IncompleteReadError } from '../errors.js';
import type { Settle, WaitOptions } from '../internal/deadline.js';
import { waitWithDeadline } from '../internal/deadline.js';

const EMPTY = Buffer.alloc(0);

/** One pending read: `exact` reads want `size` bytes in one piece, others up to `size`. */
interface Reader {
  readonly size: number;
  readonly exact: boolean;
  readonly settle: Settle<Buffer>;
}

/** Told `true` when the source must stop delivering data, `false` when it may go on. */
export type PressureListener = (paused: boolean) => void;

/**
 * The bytes a stream socket has received and the application has not read yet, with the
 * reads waiting for them.
 *
 * Chunks are kept as the source delivered them and handed out whole or as subarrays, so a read
 * copies only when it must join chunks (an exact read that spans several). Reads are served in
 * the order they were made. The buffer holds at most about `limit` bytes while nobody reads:
 * past it the pressure listener is told to stop the source (the socket stops reading from the
 * kernel, and TCP flow control slows the sender); once the application has read the buffer down
 * to half the limit, the source is started again. A read that waits always starts the source,
 * so an exact read larger than the limit gathers as data arrives, holding at most what it asked
 * for.
 */
export class ReceiveBuffer {
  readonly #chunks: Buffer[] = [];
  #head = 0;
  #bytes = 0;
  readonly #readers: Reader[] = [];
  #ended = false;
  #discarding = false;
  #failure: (() => Error) | undefined;
  #paused = false;
  readonly #limit: number;
  readonly #lowWater: number;
  // Many tiny chunks cost far more than their bytes, so their count is bounded as well.
  readonly #chunkLimit: number;
  readonly #onPressure: PressureListener;
  readonly #endpoint: Endpoint | undefined;

  /**
   * @param limit bytes held before the source is paused
   * @param onPressure stops (`true`) or restarts (`false`) the source
   * @param endpoint the peer, named in errors
   */
  constructor(limit: number, onPressure: PressureListener, endpoint?: Endpoint) {
    this.#limit = limit;
    this.#lowWater = Math.floor(limit / 2);
    this.#chunkLimit = Math.max(64, Math.ceil(limit / 256));
    this.#onPressure = onPressure;
    this.#endpoint = endpoint;
  }

  /** Bytes held, not yet read. */
  get length(): number {
    return this.#bytes;
  }

  /** True once the source has ended (end of stream, or the reading side was shut down). */
  get ended(): boolean {
    return this.#ended;
  }

  /** True once {@link fail} has been called. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** True while the source is told to stop. */
  get paused(): boolean {
    return this.#paused;
  }

  /** Adds data from the source and serves waiting reads. */
  push(chunk: Buffer): void {
    if (this.#discarding || this.#failure !== undefined || this.#ended) return;
    if (chunk.length === 0) return;
    // The common case of a reader already waiting for whatever comes: hand the chunk over as is.
    if (this.#bytes === 0 && this.#readers.length > 0) {
      const reader = this.#readers[0] as Reader;
      if (!reader.exact && chunk.length <= reader.size) {
        this.#readers.shift();
        reader.settle.resolve(chunk);
        return;
      }
    }
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    if (this.#readers.length > 0) this.#serve();
    this.#checkPressure();
  }

  /** The source has ended: reads get the rest, then end of stream. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#serve();
  }

  /**
   * Ends reading for good: held data is dropped, reads see end of stream, and data the source
   * still delivers is discarded (the source is kept flowing so that the sender is not blocked).
   */
  shutdown(): void {
    this.#discarding = true;
    this.#clear();
    this.end();
    this.#setPaused(false);
  }

  /**
   * Fails the buffer: once held data is served (or at once, with `discard`), every read
   * rejects with a fresh error from `makeError`. The first failure wins.
   */
  fail(makeError: () => Error, discard = false): void {
    this.#failure ??= makeError;
    if (discard) this.#clear();
    this.#serve();
  }

  /**
   * Reads up to `size` bytes (at least one; `Infinity` for a whole chunk), or, with `exact`,
   * exactly `size` bytes. Resolves with an empty buffer at end of stream (an exact read rejects
   * with {@link IncompleteReadError}). `what` names the operation in timeout and abort errors.
   */
  read(size: number, exact: boolean, options: WaitOptions, what: string): Promise<Buffer> {
    if (this.#readers.length === 0) {
      const now = this.#tryRead(size, exact);
      if (now instanceof Error) return Promise.reject(now);
      if (now !== undefined) return Promise.resolve(now);
    }
    // A waiting read needs more data than is held, so the source must flow whatever the limit.
    this.#setPaused(false);
    if (options.timeout === undefined && options.signal === undefined) {
      return new Promise<Buffer>((resolve, reject) => {
        this.#readers.push({ size, exact, settle: { resolve, reject } });
      });
    }
    return waitWithDeadline<Buffer>(
      (settle) => {
        const reader: Reader = { size, exact, settle };
        this.#readers.push(reader);
        return () => {
          const at = this.#readers.indexOf(reader);
          if (at >= 0) this.#readers.splice(at, 1);
          // The reader that gave up may have been blocking others that the held data satisfies.
          this.#serve();
          this.#checkPressure();
        };
      },
      options,
      what,
      this.#endpoint,
    );
  }

  #serve(): void {
    while (this.#readers.length > 0) {
      const reader = this.#readers[0] as Reader;
      const result = this.#tryRead(reader.size, reader.exact);
      if (result === undefined) return;
      this.#readers.shift();
      if (result instanceof Error) reader.settle.reject(result);
      else reader.settle.resolve(result);
    }
  }

  #tryRead(size: number, exact: boolean): Buffer | Error | undefined {
    if (exact ? this.#bytes >= size : this.#bytes > 0) return this.#take(size, exact);
    if (this.#failure !== undefined) return this.#failure();
    if (!this.#ended) return undefined;
    if (!exact) return EMPTY;
    return new IncompleteReadError(this.#take(this.#bytes, true), size, {
      endpoint: this.#endpoint,
    });
  }

  /** Takes `size` bytes (exact) or up to `size` bytes from the first chunk; `size` is held. */
  #take(size: number, exact: boolean): Buffer {
    if (size === 0) return EMPTY;
    const first = this.#chunks[this.#head] as Buffer;
    let out: Buffer;
    if (first.length > size) {
      this.#chunks[this.#head] = first.subarray(size);
      out = first.subarray(0, size);
    } else if (!exact || first.length === size) {
      this.#shiftChunk();
      out = first;
    } else {
      out = Buffer.allocUnsafe(size);
      let at = 0;
      while (at < size) {
        const chunk = this.#chunks[this.#head] as Buffer;
        const need = size - at;
        if (chunk.length <= need) {
          chunk.copy(out, at);
          at += chunk.length;
          this.#shiftChunk();
        } else {
          chunk.copy(out, at, 0, need);
          this.#chunks[this.#head] = chunk.subarray(need);
          at = size;
        }
      }
    }
    this.#bytes -= out.length;
    if (
      this.#paused &&
      this.#bytes <= this.#lowWater &&
      this.#chunkCount() <= this.#chunkLimit / 2
    ) {
      this.#setPaused(false);
    }
    return out;
  }

  #shiftChunk(): void {
    this.#chunks[this.#head] = EMPTY;
    this.#head++;
    if (this.#head === this.#chunks.length) {
      this.#chunks.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#chunks.length) {
      this.#chunks.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #chunkCount(): number {
    return this.#chunks.length - this.#head;
  }

  #clear(): void {
    this.#chunks.length = 0;
    this.#head = 0;
    this.#bytes = 0;
  }

  #checkPressure(): void {
    if (
      !this.#paused &&
      this.#readers.length === 0 &&
      !this.#discarding &&
      (this.#bytes >= this.#limit || this.#chunkCount() >= this.#chunkLimit)
    ) {
      this.#setPaused(true);
    }
  }

  #setPaused(paused: boolean): void {
    if (this.#paused === paused) return;
    this.#paused = paused;
    this.#onPressure(paused);
  }
}
