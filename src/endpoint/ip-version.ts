import { isIPv6 } from 'node:net';

/**
 * True for an IPv6 address literal. Every one has a colon, so an IPv4 address or a host name is
 * answered without Node's isIPv6, whose first call compiles its IPv6 pattern (some 10 ms at the
 * start of a program that never meets an IPv6 address).
 */
export function isIPv6Address(host: string): boolean {
  return host.includes(':') && isIPv6(host);
}
