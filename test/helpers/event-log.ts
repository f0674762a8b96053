import { within } from './bounded.js';

/** Collects events (from a callback) and lets a test await a condition on them, bounded. */
export class EventLog<E> {
  readonly events: E[] = [];
  readonly #waiters: { ready: () => boolean; resolve: () => void }[] = [];

  /** Pass this as the event callback. */
  readonly push = (event: E): void => {
    this.events.push(event);
    for (const waiter of this.#waiters.filter((w) => w.ready())) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };

  /** Resolves with the `count`-th event that matches, once there is one (bounded by `ms`). */
  async until(match: (e: E) => boolean, label: string, count = 1, ms = 10_000): Promise<E> {
    const ready = (): boolean => this.events.filter(match).length >= count;
    if (!ready()) {
      await within(
        new Promise<void>((resolve) => this.#waiters.push({ ready, resolve })),
        ms,
        label,
      );
    }
    return this.events.filter(match)[count - 1] as E;
  }
}
