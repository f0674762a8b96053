import type { Endpoint } from '../endpoint/endpoint.js';
import type { Settle, WaitOptions } from './deadline.js';
import { hasDeadline, waitWithDeadline } from './deadline.js';
import { Fifo } from './fifo.js';
import { pendingPromise, takeReject, takeResolve } from './pending-promise.js';

/**
 * A bounded FIFO between a producer that must never block (an event emitter delivering
 * datagrams or connections) and consumers that wait for items. Items go to waiting consumers in
 * the order they asked, each item to exactly one; items nobody waits for are held up to `limit`,
 * and beyond that refused (the caller drops and counts them), so memory stays bounded.
 */
export class ItemQueue<T> {
  readonly #items = new Fifo<T>();
  readonly #waiters: Settle<T>[] = [];
  #failure: (() => Error) | undefined;

  /** @param limit the most items held while no consumer is waiting */
  constructor(readonly limit: number) {}

  /** Items held, waiting for a consumer. */
  get length(): number {
    return this.#items.length;
  }

  /** Consumers waiting for an item. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** True once {@link fail} has been called. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /**
   * Hands `item` to the longest-waiting consumer, or holds it. Returns false, and keeps
   * nothing, when the queue is full or has failed.
   */
  push(item: T): boolean {
    if (this.#failure) return false;
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.resolve(item);
      return true;
    }
    if (this.length >= this.limit) return false;
    this.#items.push(item);
    return true;
  }

  /** Takes the next held item without waiting, or undefined. */
  tryShift(): T | undefined {
    return this.#items.shift();
  }

  /**
   * Resolves with the next item. Held items are served first; after {@link fail}, held items
   * are still served and then every take rejects with the failure's error. `taken`, if given,
   * is told of an item handed to this take while it waited, at once, before the next item
   * comes (the promise settles only a microtask later).
   */
  take(
    options: WaitOptions,
    what: string,
    endpoint?: Endpoint,
    taken?: (item: T) => void,
  ): Promise<T> {
    if (this.length > 0) return Promise.resolve(this.tryShift() as T);
    if (this.#failure) return Promise.reject(this.#failure());
    if (!hasDeadline(options)) {
      // Without a deadline there is nothing to give up: skip the deadline machinery, as this
      // is the path every receive of a busy socket takes.
      const promise = pendingPromise<T>();
      const reject = takeReject();
      const settle: Settle<T> = { resolve: takeResolve(), reject };
      this.#waiters.push(taken === undefined ? settle : told(settle, taken));
      return promise;
    }
    return waitWithDeadline<T>(
      (settle) => {
        // A waiter that gave up is taken off the list at once, so `taken` hears only of items
        // this take settles with.
        const waiter = taken === undefined ? settle : told(settle, taken);
        this.#waiters.push(waiter);
        return () => {
          const at = this.#waiters.indexOf(waiter);
          if (at >= 0) this.#waiters.splice(at, 1);
        };
      },
      options,
      what,
      endpoint,
    );
  }

  /**
   * Hands `waiter` the next item, at once if one is held, else when it comes, in its turn
   * among the takes; without a deadline. After {@link fail}, held items are still served and
   * then `waiter` is rejected with the failure's error.
   */
  wait(waiter: Settle<T>): void {
    if (this.length > 0) waiter.resolve(this.tryShift() as T);
    else if (this.#failure) waiter.reject(this.#failure());
    else this.#waiters.push(waiter);
  }

  /**
   * Rejects the longest-waiting consumer with `error` (an error that concerns one operation,
   * such as an ICMP report on a connected datagram socket). Returns false when nobody waits.
   */
  rejectNext(error: Error): boolean {
    const waiter = this.#waiters.shift();
    if (!waiter) return false;
    waiter.reject(error);
    return true;
  }

  /**
   * Ends the queue: every waiting and later consumer rejects with a fresh error from
   * `makeError`. With `discard`, held items are dropped and returned; otherwise they are
   * still handed out first.
   */
  fail(makeError: () => Error, discard = false): T[] {
    if (!this.#failure) this.#failure = makeError;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(makeError());
    if (!discard) return [];
    return this.#items.takeAll();
  }
}

/** A waiter that tells `taken` of its item before settling `settle` with it. */
function told<T>(settle: Settle<T>, taken: (item: T) => void): Settle<T> {
  return {
    resolve(item) {
      taken(item);
      settle.resolve(item);
    },
    reject(error) {
      settle.reject(error);
    },
  };
}
