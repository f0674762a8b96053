import type { Buffer } from 'node:buffer';
import { SocketClosedError } from '../errors.js';
import type { ChunkIteration, ReceiveBuffer } from './receive-buffer.js';

/** The socket side of an iteration: whether it was closed locally. */
interface Closable {
  readonly closed: boolean;
}

/**
 * The async iterator of a stream socket's received chunks, behaving as an async generator that
 * loops on reads would, but cheaper: each step is one promise, settled by the receive buffer
 * with the IteratorResult itself, where a generator spends several promises and turns of the
 * microtask queue per chunk (and holds a suspended generator while it waits).
 */
export class ChunkIterator implements AsyncGenerator<Buffer, void, undefined>, ChunkIteration {
  /** Set once the stream ended, an error was thrown, or the iteration was left. */
  finished = false;
  readonly #buffer: ReceiveBuffer;
  readonly #socket: Closable;

  constructor(buffer: ReceiveBuffer, socket: Closable) {
    this.#buffer = buffer;
    this.#socket = socket;
  }

  next(): Promise<IteratorResult<Buffer, void>> {
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return this.#buffer.iterate(this);
  }

  /** A local close ends the iteration quietly; a reset or any other failure is thrown. */
  endsQuietly(error: Error): boolean {
    return this.#socket.closed && error instanceof SocketClosedError;
  }

  /** Ends the iteration (as `break` out of `for await` does); the socket stays open. */
  async return(value?: void | PromiseLike<void>): Promise<IteratorResult<Buffer, void>> {
    this.finished = true;
    return { value: await value, done: true };
  }

  /** Ends the iteration with `error`, as a generator with no handler for it does. */
  // eslint-disable-next-line @typescript-eslint/require-await -- rejects with what it is given, Error or not, as a generator does
  async throw(error?: unknown): Promise<IteratorResult<Buffer, void>> {
    this.finished = true;
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}
