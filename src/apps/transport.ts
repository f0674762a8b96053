import type { Endpoint } from '../endpoint/endpoint.js';
import type { WaitOptions } from '../internal/deadline.js';

/** One message received from a peer. */
export interface ReceivedMessage {
  data: Buffer;
  sender: Endpoint;
}

/**
 * What the datagram applications (chat, streamer, sink) need from a socket: message-oriented,
 * addressed on send. A plain {@link DatagramSocket} is one; so is a reliable datagram socket,
 * which lets the same applications run over either.
 */
export interface MessageTransport {
  readonly localEndpoint: Endpoint;
  /** The largest message `sendTo` accepts, in bytes. */
  readonly maxMessageSize: number;
  sendTo(data: string | Uint8Array, to: Endpoint): Promise<unknown>;
  recvFrom(bufsize?: number, options?: WaitOptions): Promise<ReceivedMessage>;
  close(): Promise<void>;
}
