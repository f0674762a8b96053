import type { Endpoint } from '../endpoint/endpoint.js';
import { AbortError, TimeoutError } from '../errors.js';
import type { RpcPrefix } from './options.js';
import type { TypeRegistry } from './presentation.js';

/** The framing and presentation both modes share. */
export interface ClientWire {
  readonly registry: TypeRegistry;
  readonly prefix: RpcPrefix;
  readonly maxMessageSize: number;
}

/**
 * One call's time limit and cancellation as one AbortSignal, so that connecting, sending and
 * receiving all stop at the same moment, with one {@link TimeoutError} or {@link AbortError}
 * that names the call.
 */
export class Deadline {
  readonly what: string;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #caller: AbortSignal | undefined;
  readonly #endpoint: Endpoint;
  /** Made only when asked for (connecting needs one): most calls never need it. */
  #controller: AbortController | undefined;
  #listeners: (() => void)[] | undefined;
  #reason: Error | undefined;
  readonly #onAbort = (): void =>
    this.#stop(
      new AbortError(`${this.what} was aborted`, {
        endpoint: this.#endpoint,
        cause: this.#caller?.reason,
      }),
    );

  constructor(timeout: number, signal: AbortSignal | undefined, what: string, endpoint: Endpoint) {
    this.what = what;
    this.#endpoint = endpoint;
    this.#caller = signal;
    if (signal?.aborted) this.#onAbort();
    else signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (timeout !== Infinity && this.#reason === undefined) {
      this.#timer = setTimeout(() => {
        this.#stop(
          new TimeoutError(`${what} timed out after ${timeout} ms`, timeout, { endpoint }),
        );
      }, timeout);
    }
  }

  /** Aborted when the call times out or the caller aborts. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Why the call stopped, once it has. */
  get reason(): Error | undefined {
    return this.#reason;
  }

  /** Calls `listener` once when the call stops; returns the function that unregisters it. */
  onStop(listener: () => void): () => void {
    const listeners = (this.#listeners ??= []);
    listeners.push(listener);
    return () => {
      const at = listeners.indexOf(listener);
      if (at >= 0) listeners.splice(at, 1);
    };
  }

  /** `work`, or the deadline's error if that comes first (the work is then abandoned). */
  run<T>(work: Promise<T>): Promise<T> {
    if (this.#reason !== undefined) {
      work.catch(() => undefined);
      return Promise.reject(this.#reason);
    }
    return new Promise<T>((resolve, reject) => {
      const off = this.onStop(() => reject(this.#reason ?? new Error(`${this.what} stopped`)));
      work.then(
        (value) => {
          off();
          resolve(value);
        },
        (error: unknown) => {
          off();
          // An abort of the connect surfaces as the connect's AbortError: report the real cause.
          reject(this.#reason ?? (error as Error));
        },
      );
    });
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener('abort', this.#onAbort);
  }

  #stop(reason: Error): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#controller?.abort(reason);
    for (const listener of this.#listeners?.splice(0) ?? []) listener();
  }
}
