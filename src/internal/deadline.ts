import type { Endpoint } from '../endpoint/endpoint.js';
import { AbortError, TimeoutError } from '../errors.js';

/** How long a waiting operation may take, and how to cancel it. */
export interface WaitOptions {
  /** Milliseconds before the operation rejects with {@link TimeoutError}; none by default. */
  timeout?: number | undefined;
  /** Cancels the operation: it rejects with {@link AbortError}. */
  signal?: AbortSignal | undefined;
}

/** Callbacks handed to a waiter's registration: settle the wait with a value or an error. */
export interface Settle<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/**
 * Runs a wait that another party settles, bounded by a timeout and an abort signal.
 *
 * `register` installs the waiter (e.g. pushes it onto a queue) and returns the function that
 * removes it again; that function is called when the timeout or the signal ends the wait first,
 * so that a later item is never handed to a waiter that has given up. `what` names the operation
 * in the timeout and abort messages ("recvFrom on 127.0.0.1:5000").
 */
export function waitWithDeadline<T>(
  register: (settle: Settle<T>) => () => void,
  options: WaitOptions,
  what: string,
  endpoint?: Endpoint,
): Promise<T> {
  const { timeout, signal } = options;
  if (signal?.aborted) {
    return Promise.reject(
      new AbortError(`${what} was aborted`, { endpoint, cause: signal.reason }),
    );
  }
  if (timeout !== undefined && (!Number.isFinite(timeout) || timeout < 0)) {
    return Promise.reject(
      new RangeError(`timeout must be a non-negative number of milliseconds, got ${timeout}`),
    );
  }
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (): void => {
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const unregister = register({
      resolve(value) {
        if (done) return;
        finish();
        resolve(value);
      },
      reject(error) {
        if (done) return;
        finish();
        reject(error);
      },
    });
    const giveUp = (error: Error): void => {
      if (done) return;
      finish();
      unregister();
      reject(error);
    };
    const onAbort = (): void =>
      giveUp(new AbortError(`${what} was aborted`, { endpoint, cause: signal?.reason }));
    if (done) return;
    if (timeout !== undefined) {
      timer = setTimeout(
        () =>
          giveUp(new TimeoutError(`${what} timed out after ${timeout} ms`, timeout, { endpoint })),
        timeout,
      );
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
