import { MessageTooLargeError } from '../errors.js';
import type { FramingOptions, LengthPrefix, ResolvedFraming } from './length-prefix.js';
import { resolveFraming, varintSize, writeHeader } from './length-prefix.js';

/** The byte length of `message` as it goes on the wire (UTF-8 for text). */
export function messageLength(message: string | Uint8Array): number {
  return typeof message === 'string' ? Buffer.byteLength(message) : message.byteLength;
}

/** The size of the prefix for a message of `length` bytes. */
export function headerSize(length: number, prefix: LengthPrefix): number {
  return prefix === 'uint32be' ? 4 : prefix === 'uint16be' ? 2 : varintSize(length);
}

/** Refuses a message longer than the prefix can express or the configured limit allows. */
export function checkMessageLength(length: number, framing: ResolvedFraming): void {
  if (length <= framing.sendLimit) return;
  const byPrefix = framing.sendLimit < framing.maxMessageSize;
  const why = byPrefix
    ? `a ${framing.prefix} length prefix cannot express more than ${framing.sendLimit} bytes`
    : `the limit is ${framing.sendLimit} bytes (maxMessageSize)`;
  throw new MessageTooLargeError(
    `cannot frame a ${length}-byte message: ${why}`,
    length,
    framing.sendLimit,
  );
}

/**
 * Encodes one message as a frame (prefix, then the bytes; text as UTF-8) in a new buffer.
 * Throws {@link MessageTooLargeError} for a message the prefix or `maxMessageSize` cannot carry.
 * To send many messages, a {@link FrameWriter} is much cheaper.
 */
export function encodeFrame(message: string | Uint8Array, options: FramingOptions = {}): Buffer {
  const framing = resolveFraming(options);
  const length = messageLength(message);
  checkMessageLength(length, framing);
  const frame = Buffer.allocUnsafe(headerSize(length, framing.prefix) + length);
  const at = writeHeader(frame, 0, length, framing.prefix);
  if (typeof message === 'string') frame.write(message, at);
  else frame.set(message, at);
  return frame;
}
