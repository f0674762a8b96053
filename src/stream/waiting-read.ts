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
  readonly size: number;
  readonly exact: boolean;
  readonly iteration: ChunkIteration | undefined;
  // A method, so that both kinds of promise's resolve fit: a plain read is only ever given a
  // Buffer, an iteration's an IteratorResult (see settleRead).
  resolve(value: unknown): void;
  reject(reason: Error): void;
  next: WaitingRead | undefined;
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
  if (step instanceof Error) read.reject(step);
  else read.resolve(step);
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
