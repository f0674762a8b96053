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
 * chunk in one promise. The buffer keeps the first read that waits without a deadline in fields of
 * its own (an idle connection's serving loop waits in one); this flat object, linked to the next
 * waiting read, is for the others: the queue is its first and last link, kept by the buffer
 * itself, and these functions work on the links without an object of their own.
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
  // No promise is being made: nothing to settle.
}

// The resolve function of the promise being made, handed out of its executor: one shared
// executor function instead of a closure made for every read that waits.
let madeResolve: (value: unknown) => void = unsettled;

function keepResolve(resolve: (value: unknown) => void): void {
  madeResolve = resolve;
}

/**
 * A new pending promise; its resolve function is taken with {@link takeResolve} right after.
 * The reject function is not kept: a read that fails is resolved with a rejected promise.
 */
export function pendingPromise<T>(): Promise<T> {
  return new Promise<T>(keepResolve as (resolve: (value: T) => void) => void);
}

/** The resolve function of the promise {@link pendingPromise} has just made. */
export function takeResolve(): (value: unknown) => void {
  const resolve = madeResolve;
  madeResolve = unsettled;
  return resolve;
}

/**
 * A read waiting for `size` bytes (`exact`ly, or for an `iteration`'s next step), to settle
 * through `resolve`, for the queue.
 */
export function waitingRead(
  size: number,
  exact: boolean,
  iteration: ChunkIteration | undefined,
  resolve: (value: unknown) => void,
): WaitingRead {
  return { size, exact, iteration, resolve, next: undefined };
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
 * Settles a read (through its promise's `resolve`, for its `iteration` if it has one) with what
 * the buffer had for it.
 */
export function settleRead(
  resolve: (value: unknown) => void,
  iteration: ChunkIteration | undefined,
  result: Buffer | Error,
): void {
  const step = iteration === undefined ? result : iterationStep(result, iteration);
  resolve(step instanceof Error ? Promise.reject(step) : step);
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
