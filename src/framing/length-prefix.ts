/**
 * The length prefixes a framed message can carry. They are a wire contract with Python peers:
 * `uint16be` is `struct.pack('>H', n)` (the course's TCP chat), `uint32be` is
 * `struct.pack('>I', n)`, and `varint` is unsigned LEB128 (7 bits per byte, least significant
 * group first, high bit set on every byte but the last), as protobuf writes lengths.
 */
import { constants } from 'node:buffer';
import { checkInteger, checkOneOf } from '../internal/validate.js';

/** How the length of each framed message is written in front of it. */
export type LengthPrefix = 'uint16be' | 'uint32be' | 'varint';

/** Options shared by the framing encoder and decoder. */
export interface FramingOptions {
  /** The length prefix; `uint32be` by default. */
  prefix?: LengthPrefix | undefined;
  /**
   * The longest message, in bytes, that is sent or accepted; 16 MiB by default. A peer that
   * announces a longer one gets a `FrameTooLargeError` before any memory is set aside for it.
   */
  maxMessageSize?: number | undefined;
}

/** The default {@link FramingOptions.maxMessageSize}: 16 MiB. */
export const DEFAULT_MAX_MESSAGE_SIZE = 16 * 1024 * 1024;

/**
 * The most bytes a varint length prefix may take: 8 bytes carry 56 bits, enough for any length
 * up to `Number.MAX_SAFE_INTEGER` (53 bits). A longer prefix is malformed.
 */
export const MAX_VARINT_BYTES = 8;

/** The most a length prefix can express, per kind. */
export const PREFIX_LIMITS: Readonly<Record<LengthPrefix, number>> = {
  uint16be: 0xffff,
  uint32be: 0xffff_ffff,
  varint: Number.MAX_SAFE_INTEGER,
};

/** The framing options with defaults applied and checked. */
export interface ResolvedFraming {
  readonly prefix: LengthPrefix;
  /** The configured limit for received messages. */
  readonly maxMessageSize: number;
  /** The limit for sent messages: the configured one, and what the prefix can express. */
  readonly sendLimit: number;
  /** 2 or 4 for fixed-size prefixes, 0 for varint. */
  readonly fixedHeaderSize: number;
}

/** Applies defaults to `options`, refusing an unknown prefix or an unusable size limit. */
export function resolveFraming(options: FramingOptions = {}): ResolvedFraming {
  const prefix = checkOneOf('prefix', options.prefix ?? 'uint32be', [
    'uint16be',
    'uint32be',
    'varint',
  ]);
  const maxMessageSize = checkInteger(
    'maxMessageSize',
    options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
    0,
    constants.MAX_LENGTH,
  );
  return {
    prefix,
    maxMessageSize,
    sendLimit: Math.min(maxMessageSize, PREFIX_LIMITS[prefix]),
    fixedHeaderSize: prefix === 'uint16be' ? 2 : prefix === 'uint32be' ? 4 : 0,
  };
}

/** How many bytes the varint encoding of `length` takes. */
export function varintSize(length: number): number {
  let size = 1;
  while (length >= 0x80) {
    length = Math.floor(length / 0x80);
    size++;
  }
  return size;
}

/**
 * Writes the prefix for a message of `length` bytes into `target` at `offset`, returning the
 * offset after it. The caller has checked that `length` fits the prefix and that there is room.
 */
export function writeHeader(
  target: Buffer,
  offset: number,
  length: number,
  prefix: LengthPrefix,
): number {
  if (prefix === 'uint32be') {
    target[offset] = length >>> 24;
    target[offset + 1] = (length >>> 16) & 0xff;
    target[offset + 2] = (length >>> 8) & 0xff;
    target[offset + 3] = length & 0xff;
    return offset + 4;
  }
  if (prefix === 'uint16be') {
    target[offset] = length >>> 8;
    target[offset + 1] = length & 0xff;
    return offset + 2;
  }
  while (length >= 0x80) {
    // `& 0x7f` is exact beyond 2^32 too: ToInt32 keeps the low bits.
    target[offset++] = (length & 0x7f) | 0x80;
    length = Math.floor(length / 0x80);
  }
  target[offset++] = length;
  return offset;
}
