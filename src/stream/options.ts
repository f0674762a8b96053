import { Buffer, constants } from 'node:buffer';
import type { AddressFamily, EndpointLike } from '../endpoint/endpoint.js';
import { familyOf } from '../endpoint/parse.js';
import { InvalidEndpointError } from '../errors.js';

/** Options of every stream socket. */
export interface StreamSocketOptions {
  /**
   * The most received bytes held for the application before the socket stops reading from the
   * kernel, so that TCP flow control slows the sender (default 1 MiB). Reading resumes once the
   * application has read the buffer down to half of it.
   */
  receiveBufferLimit?: number;
}

/** The receive buffer limit of a stream socket unless one is given: 1 MiB. */
export const DEFAULT_RECEIVE_BUFFER_LIMIT = 1024 * 1024;

/** The largest read one call can ask for: the largest Buffer Node can allocate. */
export const MAX_READ_SIZE = constants.MAX_LENGTH;

/** The RangeError naming `name` when `value` is not an integer in `min..max`, else undefined. */
export function integerError(
  name: string,
  value: unknown,
  min: number,
  max: number,
): RangeError | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) {
    return undefined;
  }
  return new RangeError(`${name} must be an integer from ${min} to ${max}, got ${describe(value)}`);
}

/** Checks that `value` is an integer in `min..max`; throws a RangeError naming `name`. */
export function checkInteger(name: string, value: unknown, min: number, max: number): number {
  const error = integerError(name, value, min, max);
  if (error) throw error;
  return value as number;
}

/** Checks an optional boolean option; throws a TypeError naming `name`. */
export function checkBoolean(name: string, value: unknown): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new TypeError(`${name} must be true or false, got ${describe(value)}`);
}

/** Checks a required boolean argument; throws a TypeError naming `name`. */
export function checkFlag(name: string, value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw new TypeError(`${name} must be true or false, got ${describe(value)}`);
}

/** Checks an optional address family option. */
export function checkFamily(value: unknown): AddressFamily | undefined {
  if (value === undefined || value === 'IPv4' || value === 'IPv6') return value;
  throw new RangeError(`family must be 'IPv4' or 'IPv6', got ${describe(value)}`);
}

/** Checks the receive buffer limit option and returns it or the default. */
export function checkReceiveBufferLimit(value: unknown): number {
  if (value === undefined) return DEFAULT_RECEIVE_BUFFER_LIMIT;
  return checkInteger('receiveBufferLimit', value, 1, MAX_READ_SIZE);
}

/** The encoding for data given as a string, or a RangeError naming the bad value. */
export function checkEncoding(value: unknown): BufferEncoding | RangeError {
  if (value === undefined) return 'utf8';
  if (typeof value === 'string' && Buffer.isEncoding(value)) return value;
  return new RangeError(
    `encoding must be a Buffer encoding such as 'utf8', got ${describe(value)}`,
  );
}

/**
 * Throws {@link InvalidEndpointError} when `host` is an address literal of the other family
 * than the one the caller asked for.
 */
export function checkHostFamily(
  host: string,
  family: AddressFamily | undefined,
  input: EndpointLike | undefined,
): void {
  const actual = familyOf(host);
  if (family === undefined || actual === undefined || actual === family) return;
  throw new InvalidEndpointError(
    `host "${host}" is an ${actual} address but family '${family}' was asked for`,
    input,
    'host',
  );
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) {
    return String(value);
  }
  return typeof value;
}

/** Options of {@link StreamSocket.sendAll}. */
export interface SendOptions {
  /** How a string is turned into bytes (default `'utf8'`). */
  encoding?: BufferEncoding;
}

/** Which direction {@link StreamSocket.shutdown} closes. */
export type ShutdownHow = 'read' | 'write' | 'both';
