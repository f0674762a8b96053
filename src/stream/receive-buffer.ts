import { Buffer } from 'node:buffer';
import { IncompleteReadError } from '../errors.js';
import type { Settle, WaitOptions } from '../internal/deadline.js';
import { hasDeadline, waitWithDeadline } from '../internal/deadline.js';
import { Fifo } from '../internal/fifo.js';
import { pendingPromise, takeResolve } from '../internal/pending-promise.js';
import { onPressure, peerOf, readNow, type PressureSink } from './pressure-sink.js';
import { ownCopy } from './own-copy.js';
import { takeBytes } from './take-bytes.js';
import { ChunkConsumer, thenOf } from './chunk-consumer.js';
import {
  iterationStep,
  ReadQueue,
  settleConsumer,
  settleRead,
  settleReadFrom,
  waitingRead,
  type ChunkIteration,
  type ReadDelivery,
  type WaitingRead,
} from './waiting-read.js';

export type { ChunkIteration } from './waiting-read.js';

const EMPTY = Buffer.alloc(0);

// The buffer's states, as bits of one field: an idle connection holds one number, not three.
/** The source has ended. */
const ENDED = 1;
/** Reading was shut down: data is dropped as it comes. */
const DISCARDING = 2;
/** The source is told to stop. */
const PAUSED = 4;
/** The read held in the buffer's own fields wants exactly its size. */
const HELD_EXACT = 8;
/**
 * The last read at once from the source (see readInto) took nothing: reads into memory wait
 * for the source's deliveries until one of at least STREAMING_DELIVERY bytes says that the
 * peer streams. A connection that carries small requests and replies then pays for one empty
 * read, not one a read; a bulk stream goes back to reading at once after each wait.
 */
const DRAINED = 16;
/** A delivery this large (a quarter of a socket's own read) comes from a peer that streams. */
const STREAMING_DELIVERY = 16 * 1024;
/** The read held in the buffer's own fields is a {@link ChunkConsumer}. */
const CONSUMING = 32;
/** The consumer waits for the promise its handler returned: no chunk goes to it meanwhile. */
const CONSUMER_BUSY = 64;

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
  #states = 0;
  #failure: (() => Error) | undefined;
  readonly #limit: number;
  readonly #sink: PressureSink;
  // The first waiting read, when it has no deadline, held in these fields rather than in an
  // object of its own: a connection's serving loop waits in one such read at a time, so an idle
  // connection with a read pending holds its promise and nothing more, and a loop reading a
  // busy stream makes nothing per read but the promise. `#resolve` is set while it waits; it
  // wants exactly `#size` bytes with HELD_EXACT in the states, and settles as `#delivery` says
  // (see ReadDelivery). While it waits it comes before every read in the queue below.
  #resolve: ((value: unknown) => void) | undefined;
  #size = 0;
  #delivery: ReadDelivery;
  // The other waiting reads, in order: reads with a deadline, and reads made while another
  // waits. Made when the first of them comes, and kept.
  #queue: ReadQueue | undefined;

  // The helpers are static, given the buffer: private instance methods would cost every buffer a
  // field of its own (the class's brand).

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
    if (chunk.length >= STREAMING_DELIVERY) this.#states &= ~DRAINED;
    // The common case of a reader already waiting for whatever comes: hand the chunk over as is.
    if (this.#bytes === 0) {
      const resolve = this.#resolve;
      if (resolve !== undefined) {
        if ((this.#states & CONSUMING) !== 0) {
          if ((this.#states & CONSUMER_BUSY) === 0) {
            ReceiveBuffer.#handOver(this, this.#delivery as ChunkConsumer, chunk);
            // The handler may have ended the stream (close, shutdown) for itself and the rest.
            if ((this.#states & ENDED) !== 0 || this.#failure !== undefined)
              ReceiveBuffer.#serve(this);
            return;
          }
        } else if (
          (this.#states & HELD_EXACT) !== 0
            ? chunk.length === this.#size
            : chunk.length <= this.#size
        ) {
          ReceiveBuffer.#settleHeld(this, resolve, chunk);
          return;
        }
      } else {
        const reader = this.#queue?.first;
        if (
          reader !== undefined &&
          !ReceiveBuffer.#isConsumer(reader) &&
          (reader.exact ? chunk.length === reader.size : chunk.length <= reader.size)
        ) {
          (this.#queue as ReadQueue).shift(reader);
          settleRead(reader.resolve, reader.delivery, chunk);
          return;
        }
      }
    }
    (this.#chunks ??= new Fifo()).push(chunk);
    this.#bytes += chunk.length;
    if (ReceiveBuffer.#waiting(this)) ReceiveBuffer.#serve(this);
    ReceiveBuffer.#checkPressure(this);
  }

  /**
   * Adds the first `bytes` bytes of `source`, memory the source reuses once this returns: the
   * first waiting read, when it reads into memory of its own (`recvInto`) and nothing is held
   * before it, takes them straight there, and only what it leaves is copied into a Buffer.
   */
  pushFrom(source: Buffer, bytes: number): void {
    if ((this.#states & (DISCARDING | ENDED)) !== 0 || this.#failure !== undefined) return;
    if (bytes === 0) return;
    if (bytes >= STREAMING_DELIVERY) this.#states &= ~DRAINED;
    const copied = this.#bytes === 0 ? ReceiveBuffer.#copyToWaiting(this, source, bytes) : 0;
    if (copied === bytes) return;
    this.push(ownCopy(source, copied, bytes));
  }

  /** The source has ended: reads get the rest, then end of stream. */
  end(): void {
    if (this.ended) return;
    this.#states |= ENDED;
    ReceiveBuffer.#serve(this);
  }

  /**
   * Ends reading for good: held data is dropped, reads see end of stream, and data the source
   * still delivers is discarded (the source is kept flowing so that the sender is not blocked).
   */
  shutdown(): void {
    this.#states |= DISCARDING;
    ReceiveBuffer.#clear(this);
    this.end();
    ReceiveBuffer.#setPaused(this, false);
  }

  /**
   * Fails the buffer: once held data is served (or at once, with `discard`), every read
   * rejects with a fresh error from `makeError`. The first failure wins.
   */
  fail(makeError: () => Error, discard = false): void {
    this.#failure ??= makeError;
    if (discard) ReceiveBuffer.#clear(this);
    ReceiveBuffer.#serve(this);
  }

  /**
   * Reads up to `size` bytes (at least one; `Infinity` for a whole chunk), or, with `exact`,
   * exactly `size` bytes. Resolves with an empty buffer at end of stream (an exact read rejects
   * with {@link IncompleteReadError}). `what` names the operation in timeout and abort errors.
   */
  read(size: number, exact: boolean, options: WaitOptions, what: string): Promise<Buffer> {
    if (!ReceiveBuffer.#waiting(this)) {
      const now = ReceiveBuffer.#tryRead(this, size, exact);
      if (now instanceof Error) return Promise.reject(now);
      if (now !== undefined) return Promise.resolve(now);
    }
    return ReceiveBuffer.#waitFor<Buffer>(this, size, exact, undefined, options, what);
  }

  /**
   * Reads up to `target.length` bytes (at least one) into `target`, resolving with their
   * count: 0 at end of stream. Rejects as {@link read}; `target` is written only when the read
   * resolves. Held data fills `target` from as many chunks as it takes, so a large `target`
   * takes in one read what arrived in several.
   */
  readInto(target: Uint8Array, options: WaitOptions, what: string): Promise<number> {
    if (!ReceiveBuffer.#waiting(this)) {
      if (this.#bytes > 0) return Promise.resolve(ReceiveBuffer.#takeInto(this, target));
      // Nothing held and nobody before this read: what the source holds now can go straight
      // into `target`, with no copy out of a buffer of the source's own.
      if ((this.#states & (ENDED | DISCARDING | DRAINED)) === 0 && this.#failure === undefined) {
        const n = this.#sink[readNow](target);
        if (n > 0) return Promise.resolve(n);
        // Below 0: not now (the event loop's turn is due), which says nothing of the source.
        if (n === 0) this.#states |= DRAINED;
      }
      const now = ReceiveBuffer.#tryRead(this, target.length, false);
      if (now instanceof Error) return Promise.reject(now);
      if (now !== undefined) return Promise.resolve(now.copy(target));
    }
    return ReceiveBuffer.#waitFor<number>(this, target.length, false, target, options, what);
  }

  /** A read that waits: without a deadline (see #wait), or in the queue with one. */
  static #waitFor<T>(
    self: ReceiveBuffer,
    size: number,
    exact: boolean,
    delivery: ReadDelivery,
    options: WaitOptions,
    what: string,
  ): Promise<T> {
    // A waiting read needs more data than is held, so the source must flow whatever the limit.
    ReceiveBuffer.#setPaused(self, false);
    if (!hasDeadline(options)) {
      return ReceiveBuffer.#wait<T>(self, size, exact, delivery);
    }
    return waitWithDeadline<T>(
      (settle: Settle<T>) => {
        // Given a Buffer or a count, or a rejected promise for a read that fails (see
        // WaitingRead).
        const reader = waitingRead(size, exact, delivery, (value) => settle.resolve(value as T));
        const queue = (self.#queue ??= new ReadQueue());
        queue.push(reader);
        return () => {
          queue.remove(reader);
          // The reader that gave up may have been blocking others that the held data satisfies.
          ReceiveBuffer.#serve(self);
          ReceiveBuffer.#checkPressure(self);
        };
      },
      options,
      what,
      self.#sink[peerOf](),
    );
  }

  /**
   * Takes over a read without a deadline that waited before this buffer was made, settled
   * through `resolve` (a Buffer, or a rejected promise): it waits first, as {@link read} would
   * have kept it.
   */
  takeOverRead(resolve: (value: unknown) => void, size: number, exact: boolean): void {
    ReceiveBuffer.#setPaused(this, false);
    ReceiveBuffer.#hold(this, resolve, size, exact, undefined);
  }

  /**
   * The next step of `iteration`: the next chunk as it arrived, whole, or the end (also when
   * `iteration` says an error ends it quietly). Settles in one promise, without a deadline.
   */
  iterate(iteration: ChunkIteration): Promise<IteratorResult<Buffer, undefined>> {
    if (!ReceiveBuffer.#waiting(this)) {
      const now = ReceiveBuffer.#tryRead(this, Infinity, false);
      if (now !== undefined) {
        const step = iterationStep(now, iteration);
        return step instanceof Error ? Promise.reject(step) : Promise.resolve(step);
      }
    }
    ReceiveBuffer.#setPaused(this, false);
    return ReceiveBuffer.#wait(this, Infinity, false, iteration);
  }

  /**
   * Hands every chunk, the held ones first, to `consumer` as it arrives, until the end of the
   * stream or a failure, which settle it through its `resolve` (see ChunkConsumer), as does an
   * error thrown by its handler or a rejection of the promise it returned. Reads made meanwhile
   * wait.
   */
  consume(consumer: ChunkConsumer): void {
    ReceiveBuffer.#setPaused(this, false);
    if (ReceiveBuffer.#waiting(this)) {
      (this.#queue ??= new ReadQueue()).push(
        waitingRead(Infinity, false, consumer, consumer.resolve),
      );
    } else {
      ReceiveBuffer.#holdConsumer(this, consumer);
    }
    ReceiveBuffer.#serve(this);
  }

  /** Keeps `consumer` in the buffer's own fields, where the first waiting read waits. */
  static #holdConsumer(self: ReceiveBuffer, consumer: ChunkConsumer): void {
    self.#resolve = consumer.resolve;
    self.#size = Infinity;
    self.#delivery = consumer;
    self.#states |= CONSUMING;
  }

  /**
   * Hands `chunk` to `consumer`, the read held in the fields: a promise its handler returns
   * holds the next chunk until it settles; an error ends the consumer with it. The consumer is
   * busy while its handler runs too, so that nothing the handler does (closing the socket,
   * another forEachChunk) hands it a chunk or ends it before it has returned: its error, or a
   * rejection of its promise, then still ends the consumer. Once a handler that returned no
   * promise is done, the caller serves what it left (see #serve, push).
   */
  static #handOver(self: ReceiveBuffer, consumer: ChunkConsumer, chunk: Buffer): void {
    self.#states |= CONSUMER_BUSY;
    let result: unknown;
    let then: PromiseLike<unknown>['then'] | undefined;
    try {
      result = consumer.handler(chunk);
      then = thenOf(result);
    } catch (error) {
      ReceiveBuffer.#endConsumer(self, consumer, error);
      return;
    }
    if (then === undefined) {
      if (self.#delivery === consumer) self.#states &= ~CONSUMER_BUSY;
      return;
    }
    // A thenable may call back more than once, or both ways: only its first call counts.
    let settled = false;
    const ready = (): void => {
      if (settled) return;
      settled = true;
      ReceiveBuffer.#consumerReady(self, consumer);
    };
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      ReceiveBuffer.#endConsumer(self, consumer, error);
    };
    try {
      then.call(result, ready, fail);
    } catch (error) {
      fail(error);
    }
  }

  /** The promise `consumer`'s handler returned has settled: on with the chunks held. */
  static #consumerReady(self: ReceiveBuffer, consumer: ChunkConsumer): void {
    if (self.#delivery !== consumer) return;
    self.#states &= ~CONSUMER_BUSY;
    ReceiveBuffer.#serve(self);
    ReceiveBuffer.#checkPressure(self);
  }

  /** Ends `consumer`, if it is still the held read, with `error`; the reads after it go on. */
  static #endConsumer(self: ReceiveBuffer, consumer: ChunkConsumer, error: unknown): void {
    const resolve = self.#resolve;
    if (self.#delivery !== consumer || resolve === undefined) return;
    self.#resolve = undefined;
    self.#delivery = undefined;
    self.#states &= ~(CONSUMING | CONSUMER_BUSY);
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the handler's own error, Error or not, as an async function would reject with it
    resolve(Promise.reject(error));
    ReceiveBuffer.#serve(self);
    ReceiveBuffer.#checkPressure(self);
  }

  /** Whether a queued read is a consumer: only one that wants any size may be. */
  static #isConsumer(reader: WaitingRead): boolean {
    return reader.size === Infinity && reader.delivery instanceof ChunkConsumer;
  }

  /** Whether any read waits. */
  static #waiting(self: ReceiveBuffer): boolean {
    return self.#resolve !== undefined || self.#queue?.first !== undefined;
  }

  /**
   * A read without a deadline that waits: in the buffer's own fields when no other read waits,
   * else at the end of the queue.
   */
  static #wait<T>(
    self: ReceiveBuffer,
    size: number,
    exact: boolean,
    delivery: ReadDelivery,
  ): Promise<T> {
    const promise = pendingPromise<T>();
    ReceiveBuffer.#hold(self, takeResolve(), size, exact, delivery);
    return promise;
  }

  /** Keeps a waiting read without a deadline, settled through `resolve`. */
  static #hold(
    self: ReceiveBuffer,
    resolve: (value: unknown) => void,
    size: number,
    exact: boolean,
    delivery: ReadDelivery,
  ): void {
    if (ReceiveBuffer.#waiting(self)) {
      (self.#queue ??= new ReadQueue()).push(waitingRead(size, exact, delivery, resolve));
    } else {
      self.#resolve = resolve;
      self.#size = size;
      self.#delivery = delivery;
      if (exact) self.#states |= HELD_EXACT;
    }
  }

  /**
   * Copies up to `bytes` bytes of `source` into the memory of the first waiting read and
   * settles it, if that read is a `recvInto`: returns the bytes copied (0 if it is not).
   */
  static #copyToWaiting(self: ReceiveBuffer, source: Buffer, bytes: number): number {
    const resolve = self.#resolve;
    if (resolve !== undefined) {
      const target = self.#delivery;
      if (!(target instanceof Uint8Array)) return 0;
      self.#resolve = undefined;
      self.#delivery = undefined;
      return settleReadFrom(resolve, target, source, bytes);
    }
    const queue = self.#queue;
    const reader = queue?.first;
    if (queue === undefined || reader === undefined || !(reader.delivery instanceof Uint8Array))
      return 0;
    queue.shift(reader);
    return settleReadFrom(reader.resolve, reader.delivery, source, bytes);
  }

  /** Settles the read held in the buffer's fields, whose `resolve` is given, with `result`. */
  static #settleHeld(
    self: ReceiveBuffer,
    resolve: (value: unknown) => void,
    result: Buffer | Error,
  ): void {
    const delivery = self.#delivery;
    const consuming = (self.#states & CONSUMING) !== 0;
    self.#resolve = undefined;
    self.#delivery = undefined;
    self.#states &= ~(HELD_EXACT | CONSUMING | CONSUMER_BUSY);
    if (consuming) settleConsumer(resolve, delivery as ChunkConsumer, result);
    else settleRead(resolve, delivery, result);
  }

  static #serve(self: ReceiveBuffer): void {
    for (;;) {
      const resolve = self.#resolve;
      if (resolve !== undefined) {
        if ((self.#states & CONSUMING) !== 0) {
          if ((self.#states & CONSUMER_BUSY) !== 0) {
            ReceiveBuffer.#settleBehindBusy(self);
            return;
          }
          if (self.#bytes > 0) {
            const chunk = ReceiveBuffer.#take(self, Infinity, false);
            ReceiveBuffer.#handOver(self, self.#delivery as ChunkConsumer, chunk);
            continue;
          }
        }
        const result = ReceiveBuffer.#tryRead(self, self.#size, (self.#states & HELD_EXACT) !== 0);
        if (result === undefined) return;
        ReceiveBuffer.#settleHeld(self, resolve, result);
        continue;
      }
      const queue = self.#queue;
      const reader = queue?.first;
      if (queue === undefined || reader === undefined) return;
      // A consumer made while other reads waited takes the fields once it comes first.
      if (ReceiveBuffer.#isConsumer(reader)) {
        queue.shift(reader);
        ReceiveBuffer.#holdConsumer(self, reader.delivery as ChunkConsumer);
        continue;
      }
      // A read into memory queued behind reads that gave up may find several chunks held (the
      // read held in the fields above never does: data that comes while it waits goes to it).
      if (reader.delivery instanceof Uint8Array && self.#bytes > 0) {
        queue.shift(reader);
        reader.resolve(ReceiveBuffer.#takeInto(self, reader.delivery));
        continue;
      }
      const result = ReceiveBuffer.#tryRead(self, reader.size, reader.exact);
      if (result === undefined) return;
      queue.shift(reader);
      settleRead(reader.resolve, reader.delivery, result);
    }
  }

  /**
   * While the consumer in the fields waits for its handler, the reads queued after it wait too,
   * unless nothing is held and nothing more can come (the buffer failed, as on close, or the
   * stream ended): then no byte can go to the consumer or come before them, and they settle now
   * with what they would get once it ends, rather than wait for a handler that may itself be
   * waiting for one of them.
   */
  static #settleBehindBusy(self: ReceiveBuffer): void {
    const queue = self.#queue;
    if (queue === undefined || self.#bytes > 0 || (self.#failure === undefined && !self.ended))
      return;
    for (let reader = queue.first; reader !== undefined; reader = queue.first) {
      queue.shift(reader);
      const result = ReceiveBuffer.#tryRead(self, reader.size, reader.exact) as Buffer | Error;
      if (ReceiveBuffer.#isConsumer(reader)) {
        settleConsumer(reader.resolve, reader.delivery as ChunkConsumer, result);
      } else {
        settleRead(reader.resolve, reader.delivery, result);
      }
    }
  }

  static #tryRead(self: ReceiveBuffer, size: number, exact: boolean): Buffer | Error | undefined {
    if (exact ? self.#bytes >= size : self.#bytes > 0)
      return ReceiveBuffer.#take(self, size, exact);
    if (self.#failure !== undefined) return self.#failure();
    if (!self.ended) return undefined;
    if (!exact) return EMPTY;
    return new IncompleteReadError(ReceiveBuffer.#take(self, self.#bytes, true), size, {
      endpoint: self.#sink[peerOf](),
    });
  }

  /**
   * Copies held bytes into `target`, chunk after chunk, until it is full or nothing is held;
   * returns how many. Something is held.
   */
  static #takeInto(self: ReceiveBuffer, target: Uint8Array): number {
    let at = 0;
    while (self.#bytes > 0 && at < target.length) {
      at += ReceiveBuffer.#take(self, target.length - at, false).copy(target, at);
    }
    return at;
  }

  /** Takes `size` bytes (exact) or up to `size` bytes from the first chunk; `size` is held. */
  static #take(self: ReceiveBuffer, size: number, exact: boolean): Buffer {
    if (size === 0) return EMPTY;
    // size > 0 is held, so chunks exist.
    const out = takeBytes(self.#chunks as Fifo<Buffer>, size, exact);
    self.#bytes -= out.length;
    if (
      self.paused &&
      self.#bytes <= Math.floor(self.#limit / 2) &&
      ReceiveBuffer.#chunkCount(self) <= ReceiveBuffer.#chunkLimit(self) / 2
    ) {
      ReceiveBuffer.#setPaused(self, false);
    }
    return out;
  }

  // Many tiny chunks cost far more than their bytes, so their count is bounded as well. Worked
  // out when needed rather than held, as are the low-water mark above and the states' bits.
  static #chunkLimit(self: ReceiveBuffer): number {
    return Math.max(64, Math.ceil(self.#limit / 256));
  }

  static #chunkCount(self: ReceiveBuffer): number {
    return self.#chunks === undefined ? 0 : self.#chunks.length;
  }

  static #clear(self: ReceiveBuffer): void {
    self.#chunks?.clear();
    self.#bytes = 0;
  }

  static #checkPressure(self: ReceiveBuffer): void {
    if (
      (self.#states & (PAUSED | DISCARDING)) === 0 &&
      (!ReceiveBuffer.#waiting(self) || (self.#states & CONSUMER_BUSY) !== 0) &&
      (self.#bytes >= self.#limit ||
        ReceiveBuffer.#chunkCount(self) >= ReceiveBuffer.#chunkLimit(self))
    ) {
      ReceiveBuffer.#setPaused(self, true);
    }
  }

  static #setPaused(self: ReceiveBuffer, paused: boolean): void {
    if (self.paused === paused) return;
    self.#states ^= PAUSED;
    self.#sink[onPressure](paused);
  }
}
