import type { Endpoint } from './endpoint.js';
import { isIPv6Address } from './ip-version.js';

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
  const host = isIPv6Address(endpoint.host) ? `[${endpoint.host}]` : endpoint.host;
  return `${host}:${endpoint.port}`;
}
