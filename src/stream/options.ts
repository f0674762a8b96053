import { constants } from 'node:buffer';
import { checkInteger } from '../internal/validate.js';

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

/** Checks the receive buffer limit option and returns it or the default. */
export function checkReceiveBufferLimit(value: unknown): number {
  if (value === undefined) return DEFAULT_RECEIVE_BUFFER_LIMIT;
  return checkInteger('receiveBufferLimit', value, 1, MAX_READ_SIZE);
}

/** Options of {@link StreamSocket.sendAll}. */
export interface SendOptions {
  /** How a string is turned into bytes (default `'utf8'`). */
  encoding?: BufferEncoding;
}

/** Which direction {@link StreamSocket.shutdown} closes. */
export type ShutdownHow = 'read' | 'write' | 'both';
