import type { Settle } from './deadline.js';
import { pendingPromise, takeReject, takeResolve } from './pending-promise.js';

/** Where a {@link ReceiveIterator} takes its items from. */
export interface ReceiveSource<T> {
  /** An item that can be handed out now without waiting, or undefined. */
  poll(): T | undefined;
  /** Waits for the next item: null at a clean end (of a stream). */
  wait(): Promise<T | null>;
  /**
   * Where the source can settle a waiter itself, instead of {@link wait}: hands `waiter` the
   * next item (never null), or the error that ends the wait, once. Spares a step the wait's
   * own promise and the `then` on it.
   */
  waitFor?(waiter: Settle<T>): void;
  /** True for an error that ends the iteration quietly (the socket was closed locally). */
  endsQuietly(error: unknown): boolean;
}

const END: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * One step of an iteration, waiting in a source that settles waiters itself. Once settled it is
 * handed back to its iterator (`release`) for the next step, so that a loop that waits for each
 * item makes one of these in all rather than one per item; a step made while another still
 * waits gets one of its own.
 */
class WaitingStep<T> implements Settle<T> {
  #resolve: ((value: unknown) => void) | undefined;
  #reject: ((error: Error) => void) | undefined;
  readonly #failed: (error: unknown) => IteratorResult<T, void>;
  readonly #release: (step: WaitingStep<T>) => void;

  constructor(
    failed: (error: unknown) => IteratorResult<T, void>,
    release: (step: WaitingStep<T>) => void,
  ) {
    this.#failed = failed;
    this.#release = release;
  }

  /** Makes this step settle the promise whose settle functions are given. */
  arm(resolve: (value: unknown) => void, reject: (error: Error) => void): void {
    this.#resolve = resolve;
    this.#reject = reject;
  }

  resolve(item: T): void {
    const resolve = this.#resolve;
    // Settled already: a second call changes nothing.
    if (resolve === undefined) return;
    this.#disarm();
    resolve({ value: item, done: false });
  }

  reject(error: Error): void {
    const resolve = this.#resolve;
    const reject = this.#reject;
    if (resolve === undefined || reject === undefined) return;
    this.#disarm();
    let end: IteratorResult<T, void>;
    try {
      end = this.#failed(error);
    } catch (thrown) {
      reject(thrown as Error);
      return;
    }
    resolve(end);
  }

  #disarm(): void {
    this.#resolve = undefined;
    this.#reject = undefined;
    this.#release(this);
  }
}

/**
 * The async iterator of a socket or message stream, behaving as an async generator that loops
 * on `wait()` would, but cheaper: an item already at hand is handed out in one settled promise,
 * and a waited one costs the wait's promise and one `then` (with callbacks bound once), where a
 * generator spends several promises and turns of the microtask queue per item.
 */
export class ReceiveIterator<T> implements AsyncGenerator<T, void, undefined> {
  readonly #source: ReceiveSource<T>;
  #finished = false;
  /** A settled waiting step, kept for the next one. */
  #idleStep: WaitingStep<T> | undefined;
  readonly #release = (step: WaitingStep<T>): void => {
    this.#idleStep = step;
  };

  constructor(source: ReceiveSource<T>) {
    this.#source = source;
  }

  next(): Promise<IteratorResult<T, void>> {
    if (this.#finished) return Promise.resolve(END);
    const item = this.#source.poll();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.#source.waitFor === undefined) {
      return this.#source.wait().then(this.#arrived, this.#failed);
    }
    const step = pendingPromise<IteratorResult<T, void>>();
    const reject = takeReject();
    const resolve = takeResolve();
    let waiter = this.#idleStep;
    if (waiter === undefined) waiter = new WaitingStep<T>(this.#failed, this.#release);
    else this.#idleStep = undefined;
    waiter.arm(resolve, reject);
    this.#source.waitFor(waiter);
    return step;
  }

  readonly #arrived = (next: T | null): IteratorResult<T, void> => {
    if (next !== null) return { value: next, done: false };
    this.#finished = true;
    return END;
  };

  // Closing ends the loop quietly; any other error ends it by being thrown.
  readonly #failed = (error: unknown): IteratorResult<T, void> => {
    this.#finished = true;
    if (this.#source.endsQuietly(error)) return END;
    throw error;
  };

  /** Ends the iteration (as `break` out of `for await` does); the socket stays open. */
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
