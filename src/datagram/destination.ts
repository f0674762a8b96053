import { BlockList, isIPv6 } from 'node:net';
import type { AddressFamily, Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import { LOOPBACK_ADDRESS } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { toEndpoint } from '../endpoint/parse.js';
import { InvalidEndpointError, MessageTooLargeError } from '../errors.js';
import { checkHostFamily } from '../internal/validate.js';
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

const V4_MAPPED = new BlockList();
V4_MAPPED.addSubnet('::ffff:0:0', 96, 'ipv6');

/**
 * The largest payload a datagram to `host` can carry from a socket of `family`. An IPv6 socket
 * sending to an IPv4-mapped address (`::ffff:a.b.c.d`) sends IPv4 on the wire.
 */
export function maxPayload(family: AddressFamily, host: string | undefined): number {
  if (family === 'IPv6' && host !== undefined && isIPv6(host) && !host.includes('%')) {
    if (V4_MAPPED.check(host, 'ipv6')) return MAX_DATAGRAM_SIZE.IPv4;
  }
  return MAX_DATAGRAM_SIZE[family];
}

/** Throws {@link MessageTooLargeError} when `size` exceeds what one datagram to `endpoint` carries. */
export function checkSize(size: number, family: AddressFamily, endpoint: Endpoint): void {
  const limit = maxPayload(family, endpoint.host);
  if (size <= limit) return;
  const over = limit === MAX_DATAGRAM_SIZE[family] ? family : 'IPv4 (an IPv4-mapped address)';
  throw new MessageTooLargeError(
    `datagram of ${size} bytes to ${formatEndpoint(endpoint)} is larger than the ` +
      `${over} maximum of ${limit} bytes; nothing was sent`,
    size,
    limit,
    { endpoint },
  );
}
