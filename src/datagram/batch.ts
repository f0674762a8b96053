import type { AddressFamily, Endpoint } from '../endpoint/endpoint.js';
import { InvalidArgumentError } from '../errors.js';
import { checkSize } from './destination.js';
import type { DatagramSendOptions } from './options.js';
import { MAX_DATAGRAM_SIZE, toPayload } from './options.js';

/**
 * The most datagrams one {@link DatagramSocket.sendToMany} or {@link DatagramSocket.sendMany}
 * call takes: 1024, the size of the default receive queue. A longer list is refused, so that
 * one call holds a bounded number of sends in flight; split it into several calls.
 */
export const MAX_SEND_MANY = 1024;

/** How many datagrams {@link DatagramSocket.recvMany} takes at most unless told: 64. */
export const DEFAULT_RECV_MANY = 64;

/**
 * Checks the datagrams of a batch send and turns them into bytes, before anything is sent:
 * an array of at most {@link MAX_SEND_MANY} strings or Uint8Arrays, each no larger than a
 * datagram to `to` can carry. Throws InvalidArgumentError naming the bad element, or
 * MessageTooLargeError for the first payload that is too large.
 */
export function toPayloads(
  datagrams: unknown,
  options: DatagramSendOptions | undefined,
  family: AddressFamily,
  to: Endpoint,
): Uint8Array[] {
  if (!Array.isArray(datagrams)) {
    throw new InvalidArgumentError(
      'datagrams',
      'an array of strings or Uint8Arrays (e.g. Buffers)',
      datagrams,
    );
  }
  if (datagrams.length > MAX_SEND_MANY) {
    throw new InvalidArgumentError(
      'datagrams',
      `an array of at most ${MAX_SEND_MANY} datagrams (split longer lists)`,
      datagrams,
      {
        message:
          `datagrams must be an array of at most ${MAX_SEND_MANY} datagrams, got ` +
          `${datagrams.length}: split the list into several calls`,
      },
    );
  }
  const payloads = new Array<Uint8Array>(datagrams.length);
  for (let i = 0; i < datagrams.length; i++) {
    let payload: Uint8Array;
    try {
      payload = toPayload(datagrams[i], options);
    } catch (error) {
      if (!(error instanceof InvalidArgumentError) || error.argument !== 'data') throw error;
      throw new InvalidArgumentError(`datagrams[${i}]`, error.expected, error.actual);
    }
    // Below the smaller (IPv4) limit every datagram fits; only larger ones need the check.
    if (payload.length > MAX_DATAGRAM_SIZE.IPv4) checkSize(payload.length, family, to);
    payloads[i] = payload;
  }
  return payloads;
}
