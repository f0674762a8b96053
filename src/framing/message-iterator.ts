/** Where a {@link MessageIterator} takes its messages from. */
export interface MessageSource<T> {
  /** A message that can be handed out now without waiting, or undefined. */
  poll(): T | undefined;
  /** Waits for the next message: null at a clean end of the stream. */
  wait(): Promise<T | null>;
  /** True for an error that ends the iteration quietly (the stream was closed locally). */
  endsQuietly(error: unknown): boolean;
}

/**
 * The async iterator of a message stream, behaving as an async generator that loops on
 * `wait()` would, but cheaper: a message already decoded is handed out in one settled promise,
 * where a generator spends several promises and turns of the microtask queue on each.
 */
export class MessageIterator<T> implements AsyncGenerator<T, void, undefined> {
  readonly #source: MessageSource<T>;
  #finished = false;

  constructor(source: MessageSource<T>) {
    this.#source = source;
  }

  next(): Promise<IteratorResult<T, void>> {
    if (this.#finished) return Promise.resolve({ value: undefined, done: true });
    const message = this.#source.poll();
    if (message !== undefined) return Promise.resolve({ value: message, done: false });
    return this.#source.wait().then(
      (next): IteratorResult<T, void> => {
        if (next !== null) return { value: next, done: false };
        this.#finished = true;
        return { value: undefined, done: true };
      },
      (error: unknown): IteratorResult<T, void> => {
        this.#finished = true;
        if (this.#source.endsQuietly(error)) return { value: undefined, done: true };
        throw error;
      },
    );
  }

  /** Ends the iteration (as `break` out of `for await` does); the stream stays open. */
  async return(value?: void | PromiseLike<void>): Promise<IteratorResult<T, void>> {
    this.#finished = true;
    return { value: await value, done: true };
  }

  /** Ends the iteration with `error`, as a generator with no handler for it does. */
  // eslint-disable-next-line @typescript-eslint/require-await -- rejects with what it is given, Error or not, as a generator does
  async throw(error?: unknown): Promise<IteratorResult<T, void>> {
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
