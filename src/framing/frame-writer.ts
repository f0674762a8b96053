import { toSocketError } from '../errors.js';
import type { SocketError } from '../errors.js';
import type { Settle } from '../internal/deadline.js';
import { checkInteger } from '../internal/validate.js';
import { checkMessageLength, headerSize } from './encode-frame.js';
import type { FramingOptions, LengthPrefix, ResolvedFraming } from './length-prefix.js';
import { resolveFraming, writeHeader } from './length-prefix.js';

/** Called once the bytes given to {@link ByteSink.write} are written, or have failed. */
export type WriteCallback = (error?: Error | null) => void;

/**
 * Where a {@link FrameWriter} puts its bytes. A `net.Socket` is one as it is; anything else
 * needs only this method. The sink must write in order and call `done` once per call, after
 * the bytes reached the kernel (or with the error that stopped them). It must not modify
 * `data`, and it may keep it until `done`.
 */
export interface ByteSink {
  write(data: Uint8Array, done: WriteCallback): unknown;
}

/** Options of a {@link FrameWriter}. */
export interface FrameWriterOptions extends FramingOptions {
  /**
   * Frames written in the same tick are gathered into one buffer of up to this many bytes and
   * handed to the sink as one write; 64 KiB by default. A frame larger than this is handed over
   * on its own, without copying the message.
   */
  batchSize?: number | undefined;
  /**
   * {@link FrameWriter.write} returns false once this many bytes are gathered or handed to the
   * sink but not yet written; 1 MiB by default.
   */
  highWaterMark?: number | undefined;
}

const DEFAULT_BATCH_SIZE = 64 * 1024;
const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/** One write handed to the sink: who waits for it. */
interface HandOff {
  waiters: Settle<void>[] | undefined;
  done: boolean;
}

function positiveInteger(value: number, name: string): number {
  return checkInteger(name, value, 1, Number.MAX_SAFE_INTEGER);
}

/** The writer options with defaults applied and checked. */
interface ResolvedWriterOptions {
  framing: ResolvedFraming;
  batchSize: number;
  highWaterMark: number;
}

/** Applies defaults to `options`, refusing unusable values with an error that names them. */
export function resolveWriterOptions(options: FrameWriterOptions = {}): ResolvedWriterOptions {
  return {
    framing: resolveFraming(options),
    batchSize: positiveInteger(options.batchSize ?? DEFAULT_BATCH_SIZE, 'batchSize'),
    highWaterMark: positiveInteger(
      options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK,
      'highWaterMark',
    ),
  };
}

/**
 * Writes length-prefixed messages to a {@link ByteSink}, coalescing them: messages written in
 * the same tick are copied into one buffer and handed to the sink together, at the end of the
 * tick or as soon as the buffer is full, so that many small messages cost one system call per
 * batch instead of one each.
 *
 * The fast path is {@link FrameWriter.write}: synchronous, no promise, returning false (like a
 * Node stream) when the caller should wait for {@link FrameWriter.drain}. {@link
 * FrameWriter.send} resolves once the message has been handed to the kernel.
 *
 * If the sink reports an error, the writer fails: pending promises reject with it (as a dsock
 * error) and later writes throw it.
 */
export class FrameWriter {
  /** The length prefix written. */
  readonly prefix: LengthPrefix;
  /**
   * The longest message accepted, in bytes: the `maxMessageSize` option, or less where the
   * prefix cannot express that much (65,535 for `uint16be`).
   */
  readonly maxMessageSize: number;

  readonly #sink: ByteSink;
  readonly #framing: ResolvedFraming;
  readonly #fixedHeaderSize: number;
  readonly #batchSize: number;
  readonly #highWaterMark: number;
  /** Batches are cut from this buffer: [#start, #end) is gathered, earlier bytes are handed off. */
  #arena: Buffer = EMPTY;
  #start = 0;
  #end = 0;
  #scheduled = false;
  /** Who waits for the gathered batch. */
  #waiters: Settle<void>[] | undefined;
  /** Hand-offs not yet written, in order; the sink writes in order, so when the last is done, all are. */
  readonly #outstanding: HandOff[] = [];
  #inFlight = 0;
  #drainWaiters: Settle<void>[] = [];
  #failure: SocketError | undefined;
  readonly #onTick = (): void => {
    this.#scheduled = false;
    this.#handOffBatch();
  };

  constructor(sink: ByteSink, options: FrameWriterOptions = {}) {
    const resolved = resolveWriterOptions(options);
    this.#sink = sink;
    this.#framing = resolved.framing;
    this.prefix = this.#framing.prefix;
    this.maxMessageSize = this.#framing.sendLimit;
    this.#fixedHeaderSize = this.#framing.fixedHeaderSize;
    this.#batchSize = resolved.batchSize;
    this.#highWaterMark = resolved.highWaterMark;
  }

  /** Bytes gathered or handed to the sink and not yet written. */
  get buffered(): number {
    return this.#inFlight + this.#end - this.#start;
  }

  /** The error that stopped the writer, if any. */
  get failure(): SocketError | undefined {
    return this.#failure;
  }

  /**
   * Queues `message` (text is sent as UTF-8) as one frame. Returns false when
   * {@link FrameWriter.buffered} has reached the high-water mark: wait for
   * {@link FrameWriter.drain} before writing more. Throws `MessageTooLargeError`, sending
   * nothing, for a message longer than {@link FrameWriter.maxMessageSize}, and the writer's
   * failure once it has failed.
   *
   * A message small enough to be batched is copied at once; a larger one is handed to the sink
   * as it is, so it must not be modified until {@link FrameWriter.flush} resolves.
   */
  write(message: string | Uint8Array): boolean {
    this.#put(message);
    return this.#inFlight + this.#end - this.#start < this.#highWaterMark;
  }

  /**
   * Writes `message` as one frame; resolves with its length in bytes (without the prefix) once
   * it has been handed to the kernel. Rejects with `MessageTooLargeError` (sending nothing) or
   * with the error that stopped the writer. Messages sent in the same tick still share one
   * write.
   */
  async send(message: string | Uint8Array): Promise<number> {
    const length = this.#put(message);
    await this.#whenWritten();
    return length;
  }

  /** Frames `message` into the batch, or hands it over alone; returns its length in bytes. */
  #put(message: string | Uint8Array): number {
    if (this.#failure) throw this.#failure;
    const text = typeof message === 'string';
    const length = text ? Buffer.byteLength(message) : message.byteLength;
    if (length > this.maxMessageSize) checkMessageLength(length, this.#framing);
    const total = (this.#fixedHeaderSize || headerSize(length, this.prefix)) + length;
    if (total > this.#batchSize) {
      this.#writeAlone(message, length);
    } else {
      let end = this.#end;
      if (end + total > this.#arena.length) {
        this.#handOffBatch();
        this.#arena = Buffer.allocUnsafe(this.#batchSize);
        this.#start = 0;
        end = 0;
      }
      const arena = this.#arena;
      end = writeHeader(arena, end, length, this.prefix);
      if (text) arena.write(message, end);
      else arena.set(message, end);
      this.#end = end + length;
      if (!this.#scheduled) {
        this.#scheduled = true;
        queueMicrotask(this.#onTick);
      }
    }
    return length;
  }

  /** Hands what is gathered to the sink now; resolves once everything written so far is. */
  flush(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    this.#handOffBatch();
    return this.#whenWritten();
  }

  /** Resolves once {@link FrameWriter.buffered} is below the high-water mark. */
  drain(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.buffered < this.#highWaterMark) return Promise.resolve();
    return new Promise((resolve, reject) => this.#drainWaiters.push({ resolve, reject }));
  }

  /**
   * Stops the writer with `error` (e.g. because its connection closed): pending promises
   * reject, gathered bytes are dropped, later writes throw. Without effect once failed.
   */
  fail(error: unknown): void {
    if (this.#failure) return;
    const failure = toSocketError(error, 'send');
    this.#failure = failure;
    this.#start = this.#end;
    const waiters = [...(this.#waiters ?? []), ...this.#drainWaiters.splice(0)];
    this.#waiters = undefined;
    // Do not count on the sink to report the writes it holds: settle their waiters now.
    for (const handOff of this.#outstanding) {
      if (handOff.waiters) waiters.push(...handOff.waiters);
      handOff.waiters = undefined;
    }
    for (const waiter of waiters) waiter.reject(failure);
  }

  #whenWritten(): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      const last = this.#outstanding[this.#outstanding.length - 1];
      if (this.#end > this.#start) (this.#waiters ??= []).push(waiter);
      else if (last) (last.waiters ??= []).push(waiter);
      else resolve();
    });
  }

  #writeAlone(message: string | Uint8Array, length: number): void {
    this.#handOffBatch();
    if (typeof message === 'string') {
      const frame = Buffer.allocUnsafe(headerSize(length, this.prefix) + length);
      frame.write(message, writeHeader(frame, 0, length, this.prefix));
      this.#handOff(frame, undefined);
    } else {
      const header = Buffer.allocUnsafe(headerSize(length, this.prefix));
      writeHeader(header, 0, length, this.prefix);
      this.#handOff(header, undefined);
      this.#handOff(message, undefined);
    }
  }

  #handOffBatch(): void {
    const start = this.#start;
    const end = this.#end;
    if (start === end) return;
    this.#start = end;
    const waiters = this.#waiters;
    this.#waiters = undefined;
    this.#handOff(this.#arena.subarray(start, end), waiters);
  }

  #handOff(data: Uint8Array, waiters: Settle<void>[] | undefined): void {
    const handOff: HandOff = { waiters, done: false };
    const size = data.byteLength;
    this.#outstanding.push(handOff);
    this.#inFlight += size;
    try {
      this.#sink.write(data, (error) => this.#written(handOff, size, error));
    } catch (error) {
      this.#written(handOff, size, error ?? new Error('sink write failed'));
    }
  }

  #written(handOff: HandOff, size: number, error: unknown): void {
    if (handOff.done) return;
    handOff.done = true;
    this.#inFlight -= size;
    const outstanding = this.#outstanding;
    const at = outstanding[0] === handOff ? 0 : outstanding.indexOf(handOff);
    if (at === 0) outstanding.shift();
    else if (at > 0) outstanding.splice(at, 1);
    if (error != null) this.fail(error);
    const waiters = handOff.waiters;
    if (waiters !== undefined) {
      const failure = this.#failure;
      for (const waiter of waiters) {
        if (failure) waiter.reject(failure);
        else waiter.resolve();
      }
    }
    if (this.#drainWaiters.length > 0 && this.buffered < this.#highWaterMark) {
      for (const waiter of this.#drainWaiters.splice(0)) waiter.resolve();
    }
  }
}
