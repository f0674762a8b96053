import type { AddressFamily, Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import { LOOPBACK_ADDRESS } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { toEndpoint } from '../endpoint/parse.js';
import { InvalidEndpointError, MessageTooLargeError } from '../errors.js';
import { checkHostFamily } from './addresses.js';
import { MAX_DATAGRAM_SIZE } from './options.js';

/**
 * Checks where a datagram (or a connect) goes: a valid endpoint of the socket's family with a
 * port other than 0. A missing host means the loopback address.
 */
export function toDestination(to: EndpointLike, family: AddressFamily): Endpoint {
  const endpoint = toEndpoint(to, { host: LOOPBACK_ADDRESS[family] });
  if (endpoint.port === 0) {
    throw new InvalidEndpointError(
      `cannot send to port 0 of ${endpoint.host}: give the port the peer is bound to`,
      to,
      'port',
    );
  }
  checkHostFamily(endpoint.host, family, to);
  return endpoint;
}

/** True for a port a datagram can be sent to, 1..65535. */
export function isSendPort(port: unknown): port is number {
  return typeof port === 'number' && (port | 0) === port && port > 0 && port <= 65535;
}

/** Throws {@link MessageTooLargeError} when `size` exceeds the family's maximum payload. */
export function checkSize(size: number, family: AddressFamily, endpoint: Endpoint): void {
  const limit = MAX_DATAGRAM_SIZE[family];
  if (size <= limit) return;
  throw new MessageTooLargeError(
    `datagram of ${size} bytes to ${formatEndpoint(endpoint)} is larger than the ` +
      `${family} maximum of ${limit} bytes; nothing was sent`,
    size,
    limit,
    { endpoint },
  );
}
