import { Buffer } from 'node:buffer';
import type { Endpoint } from '../endpoint/endpoint.js';
import { IncompleteReadError } from '../errors.js';
import type { Settle, WaitOptions } from '../internal/deadline.js';
import { waitWithDeadline } from '../internal/deadline.js';
import { Fifo } from '../internal/fifo.js';
import { takeBytes } from './take-bytes.js';
import {
  armRead,
  blankRead,
  iterationStep,
  readBefore,
  releaseRead,
  settleRead,
  type ChunkIteration,
  type WaitingRead,
} from './waiting-read.js';

export type { ChunkIteration } from './waiting-read.js';

const EMPTY = Buffer.alloc(0);

/** The key of {@link PressureSink}'s method, kept out of the owner's public API. */
export const onPressure: unique symbol = Symbol('onPressure');
/** The key of {@link PressureSink}'s peer, kept out of the owner's public API. */
export const peerOf: unique symbol = Symbol('peerOf');

/**
 * Told `true` when the source must stop delivering data, `false` when it may go on, and asked
 * for the peer that errors name. An object with methods rather than callbacks and a field, so
 * that neither the owner nor the buffer holds anything more for them.
 */
export interface PressureSink {
  [onPressure](paused: boolean): void;
  [peerOf](): Endpoint | undefined;
}

// The buffer's states, as bits of one field: an idle connection holds one number, not three.
/** The source has ended. */
const ENDED = 1;
/** Reading was shut down: data is dropped as it comes. */
const DISCARDING = 2;
/** The source is told to stop. */
const PAUSED = 4;

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
  // Allocated on the first chunk that has to wait: an idle connection holds none.
  #chunks: Fifo<Buffer> | undefined;
  #bytes = 0;
  #first: WaitingRead | undefined;
  #last: WaitingRead | undefined;
  // The last read settled, kept for the next one that waits: a stream read in a loop reuses one
  // object rather than making one per read.
  #spare: WaitingRead | undefined;
  #states = 0;
  #failure: (() => Error) | undefined;
  readonly #limit: number;
  readonly #sink: PressureSink;

  /**
   * @param limit bytes held before the source is paused
   * @param sink stops (`true`) or restarts (`false`) the source, and names the peer in errors
   */
  constructor(limit: number, sink: PressureSink) {
    this.#limit = limit;
    this.#sink = sink;
  }

  /** Bytes held, not yet read. */
  get length(): number {
    return this.#bytes;
  }

  /** True once the source has ended (end of stream, or the reading side was shut down). */
  get ended(): boolean {
    return (this.#states & ENDED) !== 0;
  }

  /** True once {@link fail} has been called. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** True while the source is told to stop. */
  get paused(): boolean {
    return (this.#states & PAUSED) !== 0;
  }

  /** Adds data from the source and serves waiting reads. */
  push(chunk: Buffer): void {
    if ((this.#states & (DISCARDING | ENDED)) !== 0 || this.#failure !== undefined) return;
    if (chunk.length === 0) return;
    // The common case of a reader already waiting for whatever comes: hand the chunk over as is.
    const reader = this.#first;
    if (
      this.#bytes === 0 &&
      reader !== undefined &&
      (reader.exact ? chunk.length === reader.size : chunk.length <= reader.size)
    ) {
      this.#shiftReader(reader);
      settleRead(reader, chunk);
      this.#spare = releaseRead(reader);
      return;
    }
    (this.#chunks ??= new Fifo()).push(chunk);
    this.#bytes += chunk.length;
    if (this.#first !== undefined) this.#serve();
    this.#checkPressure();
  }

  /** The source has ended: reads get the rest, then end of stream. */
  end(): void {
    if (this.ended) return;
    this.#states |= ENDED;
    this.#serve();
  }

  /**
   * Ends reading for good: held data is dropped, reads see end of stream, and data the source
   * still delivers is discarded (the source is kept flowing so that the sender is not blocked).
   */
  shutdown(): void {
    this.#states |= DISCARDING;
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
    if (this.#first === undefined) {
      const now = this.#tryRead(size, exact);
      if (now instanceof Error) return Promise.reject(now);
      if (now !== undefined) return Promise.resolve(now);
    }
    // A waiting read needs more data than is held, so the source must flow whatever the limit.
    this.#setPaused(false);
    if (options.timeout === undefined && options.signal === undefined) {
      const reader = this.#takeSpare();
      const promise = armRead<Buffer>(reader, size, exact, undefined);
      this.#pushReader(reader);
      return promise;
    }
    return waitWithDeadline<Buffer>(
      (settle: Settle<Buffer>) => {
        const reader: WaitingRead = {
          size,
          exact,
          iteration: undefined,
          // Given a Buffer, or a rejected promise for a read that fails (see WaitingRead).
          resolve: (value: Buffer) => settle.resolve(value),
          next: undefined,
        };
        this.#pushReader(reader);
        return () => {
          this.#removeReader(reader);
          // The reader that gave up may have been blocking others that the held data satisfies.
          this.#serve();
          this.#checkPressure();
        };
      },
      options,
      what,
      this.#sink[peerOf](),
    );
  }

  /**
   * The next step of `iteration`: the next chunk as it arrived, whole, or the end (also when
   * `iteration` says an error ends it quietly). Settles in one promise, without a deadline.
   */
  iterate(iteration: ChunkIteration): Promise<IteratorResult<Buffer, undefined>> {
    if (this.#first === undefined) {
      const now = this.#tryRead(Infinity, false);
      if (now !== undefined) {
        const step = iterationStep(now, iteration);
        return step instanceof Error ? Promise.reject(step) : Promise.resolve(step);
      }
    }
    this.#setPaused(false);
    const reader = this.#takeSpare();
    const promise = armRead<IteratorResult<Buffer, undefined>>(reader, Infinity, false, iteration);
    this.#pushReader(reader);
    return promise;
  }

  #takeSpare(): WaitingRead {
    const spare = this.#spare;
    if (spare === undefined) return blankRead();
    this.#spare = undefined;
    return spare;
  }

  #serve(): void {
    for (let reader = this.#first; reader !== undefined; reader = this.#first) {
      const result = this.#tryRead(reader.size, reader.exact);
      if (result === undefined) return;
      this.#shiftReader(reader);
      settleRead(reader, result);
      this.#spare = releaseRead(reader);
    }
  }

  #pushReader(reader: WaitingRead): void {
    if (this.#last === undefined) this.#first = reader;
    else this.#last.next = reader;
    this.#last = reader;
  }

  /** Takes `first`, the first waiting read, off the queue. */
  #shiftReader(first: WaitingRead): void {
    this.#first = first.next;
    if (this.#first === undefined) this.#last = undefined;
    first.next = undefined;
  }

  /** Takes a read that gave up off the queue, wherever it is (it may have been served). */
  #removeReader(reader: WaitingRead): void {
    const previous = readBefore(this.#first, reader);
    if (previous === undefined) return;
    if (previous === null) this.#first = reader.next;
    else previous.next = reader.next;
    if (this.#last === reader) this.#last = previous ?? undefined;
    reader.next = undefined;
  }

  #tryRead(size: number, exact: boolean): Buffer | Error | undefined {
    if (exact ? this.#bytes >= size : this.#bytes > 0) return this.#take(size, exact);
    if (this.#failure !== undefined) return this.#failure();
    if (!this.ended) return undefined;
    if (!exact) return EMPTY;
    return new IncompleteReadError(this.#take(this.#bytes, true), size, {
      endpoint: this.#sink[peerOf](),
    });
  }

  /** Takes `size` bytes (exact) or up to `size` bytes from the first chunk; `size` is held. */
  #take(size: number, exact: boolean): Buffer {
    if (size === 0) return EMPTY;
    // size > 0 is held, so chunks exist.
    const out = takeBytes(this.#chunks as Fifo<Buffer>, size, exact);
    this.#bytes -= out.length;
    if (
      this.paused &&
      this.#bytes <= Math.floor(this.#limit / 2) &&
      this.#chunkCount() <= this.#chunkLimit() / 2
    ) {
      this.#setPaused(false);
    }
    return out;
  }

  // Many tiny chunks cost far more than their bytes, so their count is bounded as well. Worked
  // out when needed rather than held, as are the low-water mark above and the states' bits.
  #chunkLimit(): number {
    return Math.max(64, Math.ceil(this.#limit / 256));
  }

  #chunkCount(): number {
    return this.#chunks === undefined ? 0 : this.#chunks.length;
  }

  #clear(): void {
    this.#chunks?.clear();
    this.#bytes = 0;
  }

  #checkPressure(): void {
    if (
      (this.#states & (PAUSED | DISCARDING)) === 0 &&
      this.#first === undefined &&
      (this.#bytes >= this.#limit || this.#chunkCount() >= this.#chunkLimit())
    ) {
      this.#setPaused(true);
    }
  }

  #setPaused(paused: boolean): void {
    if (this.paused === paused) return;
    this.#states ^= PAUSED;
    this.#sink[onPressure](paused);
  }
}
