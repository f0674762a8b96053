import { InvalidArgumentError } from '../errors.js';
import { PREFIX_LIMITS } from '../framing/length-prefix.js';
import { checkInteger, checkOneOf } from '../internal/validate.js';
import { TypeRegistry } from './presentation.js';

/** The length prefixes RPC frames may carry. */
export type RpcPrefix = 'uint16be' | 'uint32be';

/**
 * The longest message between dsock peers with the 4-byte prefix unless told otherwise: 1 MiB.
 * (With the course's 2-byte prefix a message is at most 65,535 bytes.)
 */
export const DEFAULT_RPC_MAX_MESSAGE_SIZE = 1024 * 1024;

/** Options of the RPC wire, the same on both ends. */
export interface RpcWireOptions {
  /**
   * The length prefix of each frame: `'uint16be'` (default), the course's 2 bytes big-endian,
   * messages up to 65,535 bytes; or `'uint32be'`, 4 bytes, for larger messages between dsock
   * peers.
   */
  prefix?: RpcPrefix | undefined;
  /**
   * The longest message sent or accepted, in bytes (default: 65,535 with `uint16be`,
   * {@link DEFAULT_RPC_MAX_MESSAGE_SIZE} with `uint32be`). A longer announced frame closes the
   * connection before any memory is set aside for it.
   */
  maxMessageSize?: number | undefined;
  /** The types that may travel (default: {@link rpcRegistry}'s, the protocol's own). */
  registry?: TypeRegistry | undefined;
}

/**
 * The framing options for a MessageStream, defaults applied and checked: throws
 * {@link InvalidArgumentError} for an unknown prefix or a size the prefix cannot carry.
 */
export function wireFraming(options: RpcWireOptions): {
  prefix: RpcPrefix;
  maxMessageSize: number;
} {
  const prefix = checkOneOf('prefix', options.prefix ?? 'uint16be', ['uint16be', 'uint32be']);
  const limit = PREFIX_LIMITS[prefix];
  const size = options.maxMessageSize ?? Math.min(limit, DEFAULT_RPC_MAX_MESSAGE_SIZE);
  if (!Number.isSafeInteger(size) || size < 1 || size > limit) {
    throw new InvalidArgumentError(
      'maxMessageSize',
      `an integer from 1 to ${limit} bytes with prefix '${prefix}'`,
      size,
    );
  }
  return { prefix, maxMessageSize: size };
}

/** The registry option, checked: a {@link TypeRegistry}, or `fallback()` when not given. */
export function registryOption(value: unknown, fallback: () => TypeRegistry): TypeRegistry {
  if (value === undefined) return fallback();
  if (value instanceof TypeRegistry) return value;
  throw new InvalidArgumentError('registry', 'a TypeRegistry, such as rpcRegistry()', value);
}

/** Checks an optional function option (a callback); returns it. */
export function callbackOption<F>(name: string, value: F | undefined): F | undefined {
  if (value === undefined || typeof value === 'function') return value;
  throw new InvalidArgumentError(name, 'a function', value);
}

/**
 * Checks an optional integer option (throws {@link InvalidArgumentError}); returns it or
 * `fallback`.
 */
export function integerOption(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
): number {
  return value === undefined ? fallback : checkInteger(name, value, min, max);
}
