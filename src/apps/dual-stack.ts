import { isIPv4 } from 'node:net';
import type { Endpoint } from '../endpoint/endpoint.js';

/** An IPv4-mapped IPv6 address as the system reports it: `::ffff:127.0.0.1`. */
const V4_MAPPED = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/**
 * `endpoint` with an IPv4-mapped address (`::ffff:127.0.0.1`, how an IPv6 socket bound to `::`
 * sees an IPv4 peer) given as the plain IPv4 address (`127.0.0.1`), the way users write it.
 */
export function plainAddress(endpoint: Endpoint): Endpoint {
  const v4 = V4_MAPPED.exec(endpoint.host)?.[1];
  return v4 !== undefined && isIPv4(v4) ? { host: v4, port: endpoint.port } : endpoint;
}

/**
 * Where a socket bound to `local` sends to reach `peer`: an IPv4 peer's IPv4-mapped address
 * when the socket is IPv6 bound to `::` (dual-stack: it speaks IPv4 through such addresses),
 * else `peer` as it is.
 */
export function reachableFrom(local: Endpoint, peer: Endpoint): Endpoint {
  return local.host === '::' && isIPv4(peer.host)
    ? { host: `::ffff:${peer.host}`, port: peer.port }
    : peer;
}
