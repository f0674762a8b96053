import { SocketClosedError } from '../errors.js';
import type { ReceivedDatagram } from './options.js';

/** What a {@link DatagramIterator} receives from. */
interface DatagramSource {
  readonly closed: boolean;
  recvFrom(): Promise<ReceivedDatagram>;
}

const END: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * The async iterator of a datagram socket, behaving as an async generator that loops on
 * `recvFrom()` would, but cheaper: a step is the receive's promise and one `then`, where a
 * generator spends several promises and turns of the microtask queue per datagram.
 */
export class DatagramIterator implements AsyncGenerator<ReceivedDatagram, void, undefined> {
  readonly #source: DatagramSource;
  #finished = false;

  constructor(source: DatagramSource) {
    this.#source = source;
  }

  next(): Promise<IteratorResult<ReceivedDatagram, void>> {
    if (this.#finished) return Promise.resolve(END);
    return this.#source.recvFrom().then(this.#yielded, this.#failed);
  }

  readonly #yielded = (value: ReceivedDatagram): IteratorResult<ReceivedDatagram, void> => ({
    value,
    done: false,
  });

  // Closing the socket ends the loop quietly; any other error ends it by being thrown.
  readonly #failed = (error: unknown): IteratorResult<ReceivedDatagram, void> => {
    this.#finished = true;
    if (this.#source.closed && error instanceof SocketClosedError) return END;
    throw error;
  };

  /** Ends the iteration (as `break` out of `for await` does); the socket stays open. */
  async return(value?: void | PromiseLike<void>): Promise<IteratorResult<ReceivedDatagram, void>> {
    this.#finished = true;
    return { value: await value, done: true };
  }

  /** Ends the iteration with `error`, as a generator with no handler for it does. */
  // eslint-disable-next-line @typescript-eslint/require-await -- rejects with what it is given, Error or not, as a generator does
  async throw(error?: unknown): Promise<IteratorResult<ReceivedDatagram, void>> {
    this.#finished = true;
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}
