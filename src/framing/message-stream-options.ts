import type { Endpoint } from '../endpoint/endpoint.js';
import { checkInteger } from '../internal/validate.js';
import type { FrameWriterOptions } from './frame-writer.js';

/**
 * What a {@link MessageStream} needs of its connection; a `StreamSocket` is one. `recv`
 * resolves with the next bytes received, and with an empty Buffer at end of stream.
 */
export interface MessageConnection {
  readonly remoteEndpoint: Endpoint;
  sendAll(data: Uint8Array): Promise<void>;
  recv(bufsize: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** How long a started message may stay incomplete unless told otherwise: 30 s. */
export const DEFAULT_PARTIAL_FRAME_TIMEOUT = 30_000;

/** Options of a {@link MessageStream}: framing on both sides, coalescing on the sending side. */
export interface MessageStreamOptions extends FrameWriterOptions {
  /**
   * Milliseconds within which a message the peer has started (its first prefix byte arrived)
   * must arrive whole while the application waits to receive (default
   * {@link DEFAULT_PARTIAL_FRAME_TIMEOUT}, 30 s; 0: no limit). Past it the stream fails with a
   * {@link TimeoutError} and the connection is closed: a peer that announces a large message
   * and then trickles or stops cannot hold the receive and the bytes gathered for ever. Raise
   * it for messages of many megabytes over slow links. (The bytes of a message in progress are
   * gathered as they arrive, never set aside at the announced length.)
   */
  partialFrameTimeout?: number | undefined;
}

/** The partial-frame timeout of the options, checked, or its default. */
export function checkPartialFrameTimeout(value: unknown): number {
  if (value === undefined) return DEFAULT_PARTIAL_FRAME_TIMEOUT;
  return checkInteger('partialFrameTimeout', value, 0, 2 ** 31 - 1);
}
