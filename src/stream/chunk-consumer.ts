/**
 * The reader behind `StreamSocket.forEachChunk`: a handler that the receive buffer calls with
 * each chunk as it arrives, from the socket's read itself, rather than a read that settles a
 * promise per chunk. A connection served this way waits in one pending promise for the whole
 * stream and holds no suspended async function, so a server of many idle connections pays for
 * no more than a 'data' listener would cost it.
 */
import type { Buffer } from 'node:buffer';
import { SocketClosedError } from '../errors.js';

/** The socket side of a consumer: whether it was closed locally. */
interface Closable {
  readonly closed: boolean;
}

/** What `forEachChunk` is given: called with each chunk; a promise it returns holds the next. */
export type ChunkHandler = (chunk: Buffer) => unknown;

/**
 * A handler for each chunk and what settles its promise: `resolve`, given undefined at the end
 * of the stream, or a rejected promise for a failure (as a waiting read's resolve is).
 */
export class ChunkConsumer {
  readonly handler: ChunkHandler;
  readonly #socket: Closable;
  readonly resolve: (value: unknown) => void;

  constructor(handler: ChunkHandler, socket: Closable, resolve: (value: unknown) => void) {
    this.handler = handler;
    this.#socket = socket;
    this.resolve = resolve;
  }

  /** A local close ends the stream quietly, as it ends `for await`; a reset is thrown. */
  endsQuietly(error: Error): boolean {
    return this.#socket.closed && error instanceof SocketClosedError;
  }
}

/** `value`'s `then` if it is a promise (or any thenable), else undefined. */
export function thenOf(value: unknown): PromiseLike<unknown>['then'] | undefined {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null)
    return undefined;
  const then = (value as { then?: unknown }).then;
  return typeof then === 'function' ? (then as PromiseLike<unknown>['then']) : undefined;
}
