import type { Endpoint } from '../endpoint/endpoint.js';
import { AbortError, type InvalidArgumentError, TimeoutError } from '../errors.js';
import { invalidOptionsObject, invalidTimeout } from './validate.js';

/** How long a waiting operation may take, and how to cancel it. */
export interface WaitOptions {
  /**
   * Milliseconds, from 0 to 2147483647 (2^31 - 1, about 24.8 days), before the operation
   * rejects with {@link TimeoutError}. Left out, or `Infinity`, the operation waits without a
   * time limit. Any other value (negative, NaN, not a number, or finite above the limit) is
   * refused with an InvalidArgumentError that names the limit.
   */
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
 * The waits currently bounded by each signal. A signal gets one 'abort' listener however many
 * waits share it (a chat awaiting a hundred peers with one signal would otherwise add a hundred
 * listeners and trip Node's MaxListenersExceededWarning); the listener goes once no wait is left.
 */
const waitsBySignal = new WeakMap<AbortSignal, Set<() => void>>();

function onSignalAbort(this: AbortSignal): void {
  const waits = waitsBySignal.get(this);
  waitsBySignal.delete(this);
  if (waits !== undefined) for (const abort of waits) abort();
}

function watchSignal(signal: AbortSignal, abort: () => void): void {
  let waits = waitsBySignal.get(signal);
  if (waits === undefined) {
    waits = new Set();
    waitsBySignal.set(signal, waits);
    signal.addEventListener('abort', onSignalAbort, { once: true });
  }
  waits.add(abort);
}

function unwatchSignal(signal: AbortSignal, abort: () => void): void {
  const waits = waitsBySignal.get(signal);
  if (waits === undefined || !waits.delete(abort) || waits.size > 0) return;
  waitsBySignal.delete(signal);
  signal.removeEventListener('abort', onSignalAbort);
}

/**
 * Runs a wait that another party settles, bounded by a timeout and an abort signal.
 *
 * `register` installs the waiter (e.g. pushes it onto a queue) and returns the function that
 * removes it again; that function is called when the timeout or the signal ends the wait first,
 * so that a later item is never handed to a waiter that has given up. `what` names the operation
 * in the timeout and abort messages ("recvFrom on 127.0.0.1:5000").
 *
 * An expired timer decides only after the I/O of its event-loop turn: a result or a socket
 * error that arrives in the same turn as the timeout settles the wait instead of TimeoutError.
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
  const invalid = invalidTimeout(timeout);
  if (invalid !== undefined) return Promise.reject(invalid);
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
    let done = false;
    const finish = (): void => {
      done = true;
      if (timer !== undefined) {
        clearTimeout(timer as NodeJS.Timeout);
        clearImmediate(timer as NodeJS.Immediate);
      }
      if (signal !== undefined) unwatchSignal(signal, onAbort);
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
    if (timeout !== undefined && timeout !== Infinity) {
      const onTimeout = (): void =>
        giveUp(new TimeoutError(`${what} timed out after ${timeout} ms`, timeout, { endpoint }));
      // Timers run before the loop polls for I/O; the check phase (setImmediate) runs after it.
      timer = setTimeout(() => {
        timer = setImmediate(onTimeout);
      }, timeout);
    }
    if (signal !== undefined) watchSignal(signal, onAbort);
  });
}

/**
 * Whether a wait with `options` has a deadline to keep (a timeout, even Infinity, or a signal):
 * a wait without one cannot be given up, so it may skip {@link waitWithDeadline} altogether.
 */
export function hasDeadline(options: WaitOptions): boolean {
  return options.timeout !== undefined || options.signal !== undefined;
}

/** The options of a wait when the caller gives none: compared by identity to skip checks. */
export const NO_WAIT: WaitOptions = Object.freeze({});

/**
 * The error for wait options that cannot be honoured (not an object, or a bad timeout), or
 * undefined. Operations that may finish without waiting check their options with it first, so
 * that a bad timeout is reported whether or not the data is already there.
 */
export function waitOptionsError(options: unknown): InvalidArgumentError | undefined {
  if (options === NO_WAIT) return undefined;
  return (
    invalidOptionsObject(options, '{ timeout: 1000 }') ??
    invalidTimeout((options as WaitOptions).timeout)
  );
}
