import { Buffer } from 'node:buffer';
import type { AddressFamily, Endpoint } from '../endpoint/endpoint.js';
import type { WaitOptions } from '../internal/deadline.js';
import { waitOptionsError } from '../internal/deadline.js';
import { checkInteger, invalidData, invalidEncoding } from '../internal/validate.js';

/**
 * The largest UDP payload of each IP version: 65,535 bytes of IP packet less the headers
 * (20 bytes of IPv4 header and 8 of UDP; IPv6 counts only the 8 bytes of UDP header in its
 * payload length). Larger datagrams are refused before anything is sent.
 */
export const MAX_DATAGRAM_SIZE: Readonly<Record<AddressFamily, number>> = {
  IPv4: 65507,
  IPv6: 65527,
};

/** The `bufsize` of {@link DatagramSocket.recvFrom} unless one is given: any datagram fits. */
export const DEFAULT_RECV_SIZE = 65536;

/** Datagrams held for the application while nobody receives, unless configured. */
export const DEFAULT_RECEIVE_QUEUE_LIMIT = 1024;

/** Payload bytes held for the application while nobody receives, unless configured: 4 MiB. */
export const DEFAULT_RECEIVE_QUEUE_BYTES = 4 * 1024 * 1024;

/** Options of {@link DatagramSocket.bind}. */
export interface DatagramSocketOptions {
  /**
   * The IP version of the socket. Left out, it follows the host to bind (an IPv6 literal
   * makes an IPv6 socket) and is IPv4 otherwise; a host name is resolved in this family.
   */
  family?: AddressFamily;
  /**
   * Sets SO_REUSEADDR before binding, so that several sockets that all ask for it can bind the
   * same address and port. Off by default: binding a taken port fails with AddressInUseError.
   */
  reuseAddress?: boolean;
  /** IPv6 sockets only: refuse IPv4-mapped traffic (IPV6_V6ONLY), e.g. to bind `::` and `0.0.0.0` apart. */
  ipv6Only?: boolean;
  /** Allows sending to broadcast addresses (SO_BROADCAST); see {@link DatagramSocket.setBroadcast}. */
  broadcast?: boolean;
  /** The kernel receive buffer size in bytes (SO_RCVBUF; Linux doubles and caps it). */
  kernelReceiveBufferSize?: number;
  /** The kernel send buffer size in bytes (SO_SNDBUF; Linux doubles and caps it). */
  kernelSendBufferSize?: number;
  /**
   * The most datagrams held while nobody is receiving (default
   * {@link DEFAULT_RECEIVE_QUEUE_LIMIT}). Datagrams arriving beyond it are dropped and counted
   * in {@link DatagramStats.datagramsDropped}, as a full kernel buffer would, so a fast sender
   * cannot make the process hold unbounded memory. Large datagrams meet
   * {@link receiveQueueBytes} first.
   */
  receiveQueueLimit?: number;
  /**
   * The most payload bytes held while nobody is receiving (default
   * {@link DEFAULT_RECEIVE_QUEUE_BYTES}, 4 MiB; at least {@link MAX_DATAGRAM_SIZE} is
   * sensible, so that any one datagram fits). A datagram that would take the held bytes past it
   * is dropped and counted in {@link DatagramStats.datagramsDropped}, like one beyond
   * {@link receiveQueueLimit}: a flood of 64 KiB datagrams then holds 4 MiB, not the limit's
   * 1,024 datagrams (64 MiB and more). A receive that is already waiting takes a datagram
   * whatever its size.
   */
  receiveQueueBytes?: number;
}

/** Options of {@link DatagramSocket.sendTo} and {@link DatagramSocket.send}. */
export interface DatagramSendOptions {
  /** How a string payload is turned into bytes (default `'utf8'`). Ignored for bytes. */
  encoding?: BufferEncoding;
}

/** Options of {@link DatagramSocket.recvFrom}: a timeout and/or an AbortSignal. */
export type DatagramReceiveOptions = WaitOptions;

/** One received datagram. */
export interface ReceivedDatagram {
  /** The payload, or its first `bufsize` bytes when {@link truncated}. */
  data: Buffer;
  /** The address and port the datagram came from. */
  sender: Endpoint;
  /**
   * True when the datagram was longer than the `bufsize` asked for; the rest of it was
   * discarded, as a Berkeley `recvfrom` does.
   */
  truncated: boolean;
}

/** Counters of a datagram socket, since it was bound. */
export interface DatagramStats {
  /** Datagrams that arrived at the socket, including the ones later dropped. */
  datagramsReceived: number;
  /** Payload bytes of {@link datagramsReceived}. */
  bytesReceived: number;
  /**
   * Datagrams discarded without being delivered: they arrived while the receive queue was
   * full (in datagrams or in bytes), or were still held when the socket closed.
   */
  datagramsDropped: number;
  /** Datagrams delivered cut short because they were longer than the receive's `bufsize`. */
  datagramsTruncated: number;
  /** Datagrams sent. */
  datagramsSent: number;
  /** Payload bytes sent. */
  bytesSent: number;
}

/** Checks the `bufsize` of a receive: a positive integer. */
export function checkRecvSize(value: unknown): number {
  return checkInteger('bufsize', value, 1, Number.MAX_SAFE_INTEGER);
}

/** Checks the options of a receive: an object, with a timeout as {@link WaitOptions} allows. */
export function checkWait(options: unknown): void {
  const invalid = waitOptionsError(options);
  if (invalid !== undefined) throw invalid;
}

/** Turns a payload into bytes; throws an InvalidArgumentError naming what is wrong. */
export function toPayload(data: unknown, options: DatagramSendOptions | undefined): Uint8Array {
  const invalid =
    invalidData(data) ??
    (typeof data === 'string' ? invalidEncoding(options?.encoding) : undefined);
  if (invalid !== undefined) throw invalid;
  if (typeof data === 'string') return Buffer.from(data, options?.encoding ?? 'utf8');
  return data as Uint8Array;
}
