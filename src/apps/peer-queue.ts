/**
 * The bookkeeping that keeps one slow chat member from holding back the others: how many bytes
 * sent to it are still waiting, and for how long its queue has been full.
 */

import { checkInteger } from '../internal/validate.js';

/** A queue that stayed full: how many bytes waited, and for how long (ms). */
export interface Stall {
  queued: number;
  stalledFor: number;
}

/**
 * Checks a chat limit: `value` (or `fallback` when undefined) must be an integer from `min` up to
 * 2^31 - 1 (milliseconds or bytes). Throws an InvalidArgumentError naming the option.
 */
export function checkChatLimit(
  value: number | undefined,
  fallback: number,
  name: string,
  min = 1,
): number {
  return checkInteger(name, value ?? fallback, min, 2 ** 31 - 1);
}

/**
 * The bytes sent to one member and not yet taken by it. Full at `maxBytes`; a queue that stays
 * full for `stallTimeout` ms marks a member that does not read.
 */
export class PeerQueue {
  #bytes = 0;
  #fullSince = 0;
  #closed = false;
  #waiters: ((stall: Stall | undefined) => void)[] = [];

  constructor(
    readonly maxBytes: number,
    readonly stallTimeout: number,
  ) {}

  /** Bytes waiting. */
  get bytes(): number {
    return this.#bytes;
  }

  /** True while `maxBytes` or more wait. */
  get full(): boolean {
    return this.#bytes >= this.maxBytes;
  }

  /** Counts `size` more bytes waiting. */
  add(size: number): void {
    const wasFull = this.full;
    this.#bytes += size;
    if (!wasFull && this.full) this.#fullSince = performance.now();
  }

  /** Counts `size` bytes taken. */
  remove(size: number): void {
    this.#bytes -= size;
    if (!this.full) this.#wake(undefined);
  }

  /**
   * Resolves with undefined once the queue has room (at once when it has), or when it is
   * closed; with the {@link Stall} when it stayed full for `stallTimeout` ms.
   */
  room(): Promise<Stall | undefined> {
    if (!this.full || this.#closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const left = Math.max(0, this.#fullSince + this.stallTimeout - performance.now());
      const timer = setTimeout(() => {
        const at = this.#waiters.indexOf(settle);
        if (at >= 0) this.#waiters.splice(at, 1);
        resolve({ queued: this.#bytes, stalledFor: performance.now() - this.#fullSince });
      }, left);
      const settle = (stall: Stall | undefined): void => {
        clearTimeout(timer);
        resolve(stall);
      };
      this.#waiters.push(settle);
    });
  }

  /** Ends every wait: the member is gone. */
  close(): void {
    this.#closed = true;
    this.#wake(undefined);
  }

  #wake(stall: Stall | undefined): void {
    for (const waiter of this.#waiters.splice(0)) waiter(stall);
  }
}
