/**
 * The checks of arguments and options, one wording for all of dsock: every bad argument
 * raises an {@link InvalidArgumentError} whose message reads
 * `"<argument> must be <expected>, got <actual>"`. The `check*` functions throw it; the
 * `invalid*` ones return it (or undefined), for calls that reject a promise instead.
 */
import type { AddressFamily } from '../endpoint/endpoint.js';
import { familyOf } from '../endpoint/parse.js';
import { InvalidArgumentError, InvalidEndpointError } from '../errors.js';

/**
 * The longest timeout, in milliseconds (2^31 - 1, about 24.8 days): the most a Node.js timer
 * can wait. Node fires a longer timer after 1 ms instead, so longer timeouts are refused.
 */
export const MAX_TIMEOUT = 2 ** 31 - 1;

function range(min: number, max: number): string {
  return max === Number.MAX_SAFE_INTEGER || max === Infinity
    ? `from ${min} up`
    : `from ${min} to ${max}`;
}

/** The error for `value` when it is not an integer in `min..max`, else undefined. */
export function invalidInteger(
  name: string,
  value: unknown,
  min: number,
  max: number,
): InvalidArgumentError | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) {
    return undefined;
  }
  return new InvalidArgumentError(name, `an integer ${range(min, max)}`, value);
}

/** Checks that `value` is an integer in `min..max` (`max` MAX_SAFE_INTEGER: no upper bound). */
export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  const invalid = invalidInteger(name, value, min, max);
  if (invalid !== undefined) throw invalid;
  return value as number;
}

/**
 * Checks that `value` is a number in `min..max` (`max` Infinity: no upper bound, but finite);
 * `what` says what kind of number, such as `'a probability'` or `'a number of milliseconds'`.
 */
export function checkNumber(
  name: string,
  value: unknown,
  min: number,
  max: number,
  what = 'a number',
): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max) {
    return value;
  }
  throw new InvalidArgumentError(name, `${what} ${range(min, max)}`, value);
}

/** Checks a boolean argument. */
export function checkFlag(name: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw new InvalidArgumentError(name, 'true or false', value);
}

/** Checks an optional boolean option: undefined passes through. */
export function checkOptionalFlag(name: string, value: unknown): boolean | undefined {
  return value === undefined ? undefined : checkFlag(name, value);
}

/** Checks that `value` is one of `allowed` (strings), which the message lists. */
export function checkOneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if ((allowed as readonly unknown[]).includes(value)) return value as T;
  const quoted = allowed.map((item) => `'${item}'`);
  const list =
    quoted.length <= 1 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
  throw new InvalidArgumentError(name, list, value);
}

/** Checks an optional address family option: `'IPv4'`, `'IPv6'` or undefined. */
export function checkFamily(value: unknown): AddressFamily | undefined {
  return value === undefined ? undefined : checkOneOf('family', value, ['IPv4', 'IPv6'] as const);
}

/**
 * The error for an options argument that is not an object, else undefined; `example` shows one
 * in the message, such as `'{ timeout: 1000 }'`.
 */
export function invalidOptionsObject(
  value: unknown,
  example: string,
): InvalidArgumentError | undefined {
  if (typeof value === 'object' && value !== null) return undefined;
  return new InvalidArgumentError('options', `an object such as ${example}`, value);
}

/** Checks that an options argument is an object, as {@link invalidOptionsObject} does. */
export function checkOptionsObject(value: unknown, example: string): void {
  const invalid = invalidOptionsObject(value, example);
  if (invalid !== undefined) throw invalid;
}

/**
 * Throws {@link InvalidEndpointError} when `host` is an address literal of the other family
 * than the socket's (`family` undefined: any family goes). A socket speaks one IP version.
 */
export function checkHostFamily(
  host: string,
  family: AddressFamily | undefined,
  input: unknown,
): void {
  const actual = familyOf(host);
  if (family === undefined || actual === undefined || actual === family) return;
  throw new InvalidEndpointError(
    `host "${host}" is an ${actual} address but the socket's family is '${family}': ` +
      `use family '${actual}' to reach it`,
    input,
    'host',
  );
}

/** The encoding of data given as a string (default `'utf8'`), or the error for a bad one. */
export function invalidEncoding(value: unknown): InvalidArgumentError | undefined {
  if (value === undefined || (typeof value === 'string' && Buffer.isEncoding(value))) {
    return undefined;
  }
  return new InvalidArgumentError('encoding', "a Buffer encoding such as 'utf8'", value);
}

/** The data of a send: a string or bytes, else the error that names what it got. */
export function invalidData(value: unknown): InvalidArgumentError | undefined {
  if (typeof value === 'string' || isUint8Array(value)) return undefined;
  return new InvalidArgumentError('data', 'a string or a Uint8Array (e.g. a Buffer)', value);
}

/**
 * Whether `value` is a Uint8Array (a Buffer included), and not merely an object made with its
 * prototype, whose length and bytes throw when read.
 */
export function isUint8Array(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && ArrayBuffer.isView(value);
}

/** The memory a read writes into (`recvInto`): a Uint8Array of at least one byte, else the error. */
export function invalidReadTarget(buffer: unknown): InvalidArgumentError | undefined {
  if (isUint8Array(buffer) && buffer.length > 0) return undefined;
  return new InvalidArgumentError('buffer', 'a Uint8Array of at least 1 byte', buffer);
}

/**
 * The error for a timeout that cannot be honoured, or undefined for a valid one (including
 * undefined and `Infinity`, which mean no time limit).
 */
export function invalidTimeout(timeout: unknown): InvalidArgumentError | undefined {
  if (timeout === undefined || timeout === Infinity) return undefined;
  if (typeof timeout === 'number' && timeout >= 0 && timeout <= MAX_TIMEOUT) return undefined;
  return new InvalidArgumentError(
    'timeout',
    `a number of milliseconds from 0 to ${MAX_TIMEOUT} (about 24.8 days), or Infinity for no limit`,
    timeout,
  );
}

/** Checks a timeout as {@link invalidTimeout} does, and returns it. */
export function checkTimeout(timeout: unknown): number | undefined {
  const invalid = invalidTimeout(timeout);
  if (invalid !== undefined) throw invalid;
  return timeout as number | undefined;
}
