import { isIPv6 } from 'node:net';
import type { Endpoint } from './endpoint.js';

/**
 * Formats an endpoint as text that {@link parseEndpoint} reads back: `"127.0.0.1:8080"`,
 * `"[::1]:8080"` (IPv6 addresses are bracketed so that the port stays unambiguous).
 *
 * @example
 * ```ts
 * import { formatEndpoint } from 'dsock';
 *
 * console.log(formatEndpoint({ host: '::1', port: 8080 })); // [::1]:8080
 * console.log(formatEndpoint({ host: 'example.org', port: 80 })); // example.org:80
 * ```
 */
export function formatEndpoint(endpoint: Endpoint): string {
  // Every IPv6 address has a colon: the test spares IPv4 the first isIPv6, which compiles
  // Node's IPv6 pattern (some 10 ms at a program's start).
  const v6 = endpoint.host.includes(':') && isIPv6(endpoint.host);
  const host = v6 ? `[${endpoint.host}]` : endpoint.host;
  return `${host}:${endpoint.port}`;
}
