import type { Buffer } from 'node:buffer';

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
 * One pending read: `exact` reads want `size` bytes in one piece, others up to `size`; a read of
 * an `iteration` settles with an IteratorResult instead of a Buffer, so that `for await` takes a
 * chunk in one promise. A flat object, linked to the next waiting read, as idle connections each
 * hold one: the queue of waiting reads is its first and last link, kept by the buffer itself,
 * and these functions work on the links without an object of their own.
 */
export interface WaitingRead {
  size: number;
  exact: boolean;
  iteration: ChunkIteration | undefined;
  // A method, so that both kinds of promise's resolve fit: a plain read is only ever given a
  // Buffer, an iteration's an IteratorResult (see settleRead). There is no reject: a read that
  // fails is resolved with a rejected promise, which rejects it a microtask or two later, so that an
  // idle connection's pending read holds one settle function instead of two.
  resolve(value: unknown): void;
  next: WaitingRead | undefined;
}

function unsettled(): void {
  // A spare read holds no promise: nothing to settle.
}

/** A read with no promise yet, for {@link armRead}. */
export function blankRead(): WaitingRead {
  return {
    size: 0,
    exact: false,
    iteration: undefined,
    resolve: unsettled,
    next: undefined,
  };
}

// The resolve function of the promise being made, handed out of its executor: one shared
// executor function instead of a closure made for every read that waits.
let madeResolve: (value: unknown) => void = unsettled;

function keepResolve(resolve: (value: unknown) => void): void {
  madeResolve = resolve;
}

/**
 * Sets `read` up to wait for `size` bytes (`exact`ly, or for an `iteration`'s next step) and
 * returns the promise it settles. The read object may be one used before ({@link releaseRead}):
 * a busy stream then allocates nothing for its waiting reads but the promise itself.
 */
export function armRead<T>(
  read: WaitingRead,
  size: number,
  exact: boolean,
  iteration: ChunkIteration | undefined,
): Promise<T> {
  read.size = size;
  read.exact = exact;
  read.iteration = iteration;
  const promise = new Promise<T>(keepResolve as (resolve: (value: T) => void) => void);
  read.resolve = madeResolve;
  madeResolve = unsettled;
  return promise;
}

/** Drops what a settled read held (its promise's resolve function, its iteration) for reuse. */
export function releaseRead(read: WaitingRead): WaitingRead {
  read.resolve = unsettled;
  read.iteration = undefined;
  return read;
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

/** Settles a read taken off the queue with what the buffer had for it. */
export function settleRead(read: WaitingRead, result: Buffer | Error): void {
  const step = read.iteration === undefined ? result : iterationStep(result, read.iteration);
  read.resolve(step instanceof Error ? Promise.reject(step) : step);
}

/**
 * Where `read` sits in the queue that starts at `first`: the read before it, `null` when it is
 * the first, `undefined` when it is not queued (it may have been served already).
 */
export function readBefore(
  first: WaitingRead | undefined,
  read: WaitingRead,
): WaitingRead | null | undefined {
  let previous: WaitingRead | null = null;
  for (let at = first; at !== undefined; previous = at, at = at.next) {
    if (at === read) return previous;
  }
  return undefined;
}
