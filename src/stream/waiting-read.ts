import type { Buffer } from 'node:buffer';
import type { ChunkConsumer } from './chunk-consumer.js';

/** What an iteration step yields at the end of the stream. */
const END: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * An iteration over the chunks (`for await`), told through `finished` when it has ended, and
 * asked whether an error ends it quietly rather than being thrown.
 */
export interface ChunkIteration {
  finished: boolean;
  endsQuietly(error: Error): boolean;
}

/**
 * What a read settles with: undefined for the bytes in a Buffer, a {@link ChunkIteration} for
 * its next step (an IteratorResult), or the caller's memory (`recvInto`) for the count of bytes
 * copied there. A {@link ChunkConsumer} is handed chunks without settling, and settles once, at
 * the end, with undefined. One field for the four, as an idle connection's pending read holds it.
 */
export type ReadDelivery = ChunkIteration | ChunkConsumer | Uint8Array | undefined;

/**
 * One pending read: `exact` reads want `size` bytes in one piece, others up to `size`; a read of
 * an iteration settles with an IteratorResult instead of a Buffer, so that `for await` takes a
 * chunk in one promise, and a read into the caller's memory with a count (see ReadDelivery).
 * The buffer keeps the first read that waits without a deadline in fields of its own (an idle
 * connection's serving loop waits in one); this flat object, linked to the next waiting read in
 * a {@link ReadQueue}, is for the others.
 */
export interface WaitingRead {
  size: number;
  exact: boolean;
  delivery: ReadDelivery;
  // A method, so that both kinds of promise's resolve fit: a plain read is only ever given a
  // Buffer, an iteration's an IteratorResult (see settleRead). There is no reject: a read that
  // fails is resolved with a rejected promise, which rejects it a microtask or two later, so
  // that an idle connection's pending read holds one settle function instead of two.
  resolve(this: void, value: unknown): void;
  next: WaitingRead | undefined;
}

/**
 * A read waiting for `size` bytes (`exact`ly or not), to settle through `resolve` as its
 * `delivery` says, for the queue.
 */
export function waitingRead(
  size: number,
  exact: boolean,
  delivery: ReadDelivery,
  resolve: (value: unknown) => void,
): WaitingRead {
  return { size, exact, delivery, resolve, next: undefined };
}

/** What a read of `iteration` settles with, given what the buffer had for it. */
export function iterationStep(
  result: Buffer | Error,
  iteration: ChunkIteration,
): IteratorResult<Buffer, undefined> | Error {
  if (result instanceof Error) {
    iteration.finished = true;
    return iteration.endsQuietly(result) ? END : result;
  }
  if (result.length > 0) return { value: result, done: false };
  iteration.finished = true;
  return END;
}

/**
 * Settles a read (through its promise's `resolve`, as its `delivery` says) with what the buffer
 * had for it: at most the read's size, which a read into the caller's memory copies there.
 */
export function settleRead(
  resolve: (value: unknown) => void,
  delivery: ReadDelivery,
  result: Buffer | Error,
): void {
  let step: unknown = result;
  if (delivery instanceof Uint8Array) {
    if (!(result instanceof Error)) step = result.copy(delivery);
  } else if (delivery !== undefined) {
    // A consumer is settled by settleConsumer, never here: no check for it on this path, which
    // every chunk of a `for await` takes.
    step = iterationStep(result, delivery as ChunkIteration);
  }
  resolve(step instanceof Error ? Promise.reject(step) : step);
}

/**
 * Settles `consumer` through its `resolve` with what ends it: the end of the stream (a Buffer,
 * empty), or an error (quietly for a local close). Chunks are handed to it, never settled.
 */
export function settleConsumer(
  resolve: (value: unknown) => void,
  consumer: ChunkConsumer,
  result: Buffer | Error,
): void {
  resolve(
    result instanceof Error && !consumer.endsQuietly(result) ? Promise.reject(result) : undefined,
  );
}

/**
 * Settles a read into the caller's memory, `target`, with up to `bytes` bytes from the start of
 * `source` (memory its owner reuses once this returns); returns how many were copied.
 */
export function settleReadFrom(
  resolve: (value: unknown) => void,
  target: Uint8Array,
  source: Buffer,
  bytes: number,
): number {
  const copied = source.copy(target, 0, 0, Math.min(bytes, target.length));
  resolve(copied);
  return copied;
}

/**
 * Waiting reads in the order they were made, linked through their `next`: made by a buffer the
 * first time a read has to queue, which few connections need.
 */
export class ReadQueue {
  first: WaitingRead | undefined = undefined;
  last: WaitingRead | undefined = undefined;

  /** Adds `read` at the end. */
  push(read: WaitingRead): void {
    if (this.last === undefined) this.first = read;
    else this.last.next = read;
    this.last = read;
  }

  /** Takes `first`, the first read, off the queue. */
  shift(first: WaitingRead): void {
    this.first = first.next;
    if (this.first === undefined) this.last = undefined;
    first.next = undefined;
  }

  /** Takes a read that gave up off the queue, wherever it is (it may have been served). */
  remove(read: WaitingRead): void {
    let previous: WaitingRead | undefined;
    let at = this.first;
    while (at !== undefined && at !== read) {
      previous = at;
      at = at.next;
    }
    if (at === undefined) return;
    if (previous === undefined) this.first = read.next;
    else previous.next = read.next;
    if (this.last === read) this.last = previous;
    read.next = undefined;
  }
}
