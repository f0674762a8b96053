import { checkChatLimit } from './peer-queue.js';
import { InvalidArgumentError } from '../errors.js';
import { checkNumber } from '../internal/validate.js';

/** The first wait before reaching a lost peer again, in milliseconds. */
export const DEFAULT_RECONNECT_INITIAL_DELAY = 500;
/** The longest wait between two attempts to reach a lost peer, in milliseconds. */
export const DEFAULT_RECONNECT_MAX_DELAY = 30_000;
/** How long a connection must have lasted for the next loss to start again from the first wait. */
export const DEFAULT_RECONNECT_RESET_AFTER = 10_000;
/** The share of each wait drawn at random, so that members that lost a peer together spread out. */
export const DEFAULT_RECONNECT_JITTER = 0.2;

/**
 * How a member waits between attempts to reach a peer again: the first wait is `initialDelay`,
 * each next one twice the one before, up to `maxDelay`; each is shortened by a random share of
 * up to `jitter`.
 */
export interface BackoffOptions {
  /** Milliseconds before the first attempt (default {@link DEFAULT_RECONNECT_INITIAL_DELAY}). */
  initialDelay?: number;
  /** The longest wait, in milliseconds (default {@link DEFAULT_RECONNECT_MAX_DELAY}). */
  maxDelay?: number;
  /**
   * A connection that lasted this long (ms) starts the waits again from `initialDelay` when it
   * ends; a shorter one, or one dropped for not reading, goes on doubling them, so that a peer
   * that accepts and then closes at once is not hammered (default
   * {@link DEFAULT_RECONNECT_RESET_AFTER}).
   */
  resetAfter?: number;
  /** The share of each wait drawn at random, 0..1 (default {@link DEFAULT_RECONNECT_JITTER}). */
  jitter?: number;
}

/** {@link BackoffOptions} checked, with every default filled in. */
export type ResolvedBackoffOptions = Required<BackoffOptions>;

/** Checks backoff options; throws an InvalidArgumentError naming the wrong one. */
export function resolveBackoffOptions(options: BackoffOptions = {}): ResolvedBackoffOptions {
  const initialDelay = checkChatLimit(
    options.initialDelay,
    DEFAULT_RECONNECT_INITIAL_DELAY,
    'initialDelay',
  );
  const maxDelay = checkChatLimit(options.maxDelay, DEFAULT_RECONNECT_MAX_DELAY, 'maxDelay');
  if (maxDelay < initialDelay) {
    throw new InvalidArgumentError('maxDelay', `at least initialDelay (${initialDelay})`, maxDelay);
  }
  const jitter = checkNumber('jitter', options.jitter ?? DEFAULT_RECONNECT_JITTER, 0, 1);
  return {
    initialDelay,
    maxDelay,
    resetAfter: checkChatLimit(options.resetAfter, DEFAULT_RECONNECT_RESET_AFTER, 'resetAfter', 0),
    jitter,
  };
}

/** The waits between attempts to reach one peer: exponential, capped, with jitter. */
export class Backoff {
  #failures = 0;

  constructor(
    readonly options: ResolvedBackoffOptions,
    readonly random: () => number = Math.random,
  ) {}

  /** The wait before the next attempt (ms); each call doubles the next, up to `maxDelay`. */
  next(): number {
    const { initialDelay, maxDelay, jitter } = this.options;
    const nominal = Math.min(maxDelay, initialDelay * 2 ** Math.min(this.#failures, 31));
    this.#failures++;
    return Math.round(nominal * (1 - jitter * this.random()));
  }

  /** Starts the waits again from `initialDelay`. */
  reset(): void {
    this.#failures = 0;
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts (clearing its timer). */
export function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve(true);
    }, ms);
    const stop = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}
