/**
 * Pending promises made through one shared executor function instead of a closure (and the
 * context it captures) per promise: the promise's resolve and reject functions are handed out
 * of the executor through this module, taken right after the promise is made. For the hot
 * paths that make a promise per read or send.
 */

function unsettled(): void {
  // No promise is being made: nothing to settle.
}

// The settle functions of the promise being made, kept until taken.
let madeResolve: (value: unknown) => void = unsettled;
let madeReject: (error: Error) => void = unsettled;

function keepSettlers(resolve: (value: unknown) => void, reject: (error: Error) => void): void {
  madeResolve = resolve;
  madeReject = reject;
}

/**
 * A new pending promise; its resolve function is taken with {@link takeResolve} right after
 * (and its reject function, when wanted, with {@link takeReject} before that).
 */
export function pendingPromise<T>(): Promise<T> {
  return new Promise<T>(keepSettlers as (resolve: (value: T) => void) => void);
}

/** The reject function of the promise {@link pendingPromise} has just made. */
export function takeReject(): (error: Error) => void {
  const reject = madeReject;
  madeReject = unsettled;
  return reject;
}

/**
 * The resolve function of the promise {@link pendingPromise} has just made; nothing of that
 * promise is kept here after this.
 */
export function takeResolve(): (value: unknown) => void {
  const resolve = madeResolve;
  madeResolve = unsettled;
  madeReject = unsettled;
  return resolve;
}
