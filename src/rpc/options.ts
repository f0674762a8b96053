import { PREFIX_LIMITS } from '../framing/length-prefix.js';
import type { TypeRegistry } from './presentation.js';

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

/** The framing options for a MessageStream, defaults applied and checked. */
export function wireFraming(options: RpcWireOptions): {
  prefix: RpcPrefix;
  maxMessageSize: number;
} {
  const prefix = options.prefix ?? 'uint16be';
  if (prefix !== 'uint16be' && prefix !== 'uint32be') {
    throw new RangeError(`prefix must be 'uint16be' or 'uint32be', got ${JSON.stringify(prefix)}`);
  }
  const limit = PREFIX_LIMITS[prefix];
  const size = options.maxMessageSize ?? Math.min(limit, DEFAULT_RPC_MAX_MESSAGE_SIZE);
  if (!Number.isSafeInteger(size) || size < 1 || size > limit) {
    throw new RangeError(
      `maxMessageSize must be an integer from 1 to ${limit} bytes with prefix '${prefix}', ` +
        `got ${String(size)}`,
    );
  }
  return { prefix, maxMessageSize: size };
}

/** Checks an optional integer option; returns it or `fallback`. */
export function integerOption(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) {
    return value;
  }
  throw new RangeError(
    `${name} must be an integer from ${min} to ${max}, got ${typeof value === 'number' ? value : typeof value}`,
  );
}
