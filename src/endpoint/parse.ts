import { isIP, isIPv4, isIPv6 } from 'node:net';
import { InvalidEndpointError } from '../errors.js';
import type { AddressFamily, Endpoint, EndpointLike } from './endpoint.js';
import { ANY_ADDRESS } from './endpoint.js';

const MAX_PORT = 65535;
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const DIGITS = /^[0-9]+$/;

/**
 * Checks a port number and returns it. Throws {@link InvalidEndpointError} unless it is an
 * integer 0..65535.
 */
export function checkPort(port: unknown, input: unknown = port): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > MAX_PORT) {
    throw new InvalidEndpointError(
      `invalid port ${JSON.stringify(port)} in ${describeInput(input)}: ` +
        `a port is an integer from 0 to ${MAX_PORT}`,
      input,
      'port',
    );
  }
  return port;
}

/** True when `host` is an IP address literal or a syntactically valid host name. */
export function isValidHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  if (host.length === 0 || host.length > 253) return false;
  const labels = (host.endsWith('.') ? host.slice(0, -1) : host).split('.');
  // A name made only of numeric labels that is not an IPv4 address (e.g. 1.2.3.256) is a typo,
  // not a host name: top-level domains are never all-numeric.
  if (labels.every((label) => DIGITS.test(label))) return false;
  return labels.every((label) => HOST_LABEL.test(label));
}

/**
 * Checks a host (address literal or name) and returns it. Throws {@link InvalidEndpointError}
 * naming the host when it is not valid.
 */
export function checkHost(host: unknown, input: unknown = host): string {
  if (typeof host !== 'string' || !isValidHost(host)) {
    throw new InvalidEndpointError(
      `invalid host ${JSON.stringify(host)} in ${describeInput(input)}: ` +
        'expected an IPv4 address, an IPv6 address or a host name',
      input,
      'host',
    );
  }
  return host;
}

function describeInput(input: unknown): string {
  if (typeof input === 'string') return `endpoint "${input}"`;
  try {
    return `endpoint ${JSON.stringify(input)}`;
  } catch {
    return 'endpoint';
  }
}

function parsePortText(text: string, input: string): number {
  if (text.length === 0) {
    throw new InvalidEndpointError(
      `missing port in endpoint "${input}": write HOST:PORT with a port from 0 to ${MAX_PORT}`,
      input,
      'port',
    );
  }
  if (!DIGITS.test(text)) {
    throw new InvalidEndpointError(
      `invalid port "${text}" in endpoint "${input}": a port is an integer from 0 to ${MAX_PORT}`,
      input,
      'port',
    );
  }
  return checkPort(Number(text), input);
}

/**
 * Parses endpoint text: `"host:port"`, `"[v6addr]:port"`, `"host"` (port 0), `":port"` (any
 * address) or a bare IPv6 literal such as `"::1"` (port 0). An empty host means any address
 * (`0.0.0.0`). Throws {@link InvalidEndpointError} naming the part that is wrong.
 *
 * A bare IPv6 literal is read whole, as an address: to give an IPv6 address a port, bracket it
 * (`"[::1]:8080"`). Bare text that reads both ways, an IPv6 address followed by `:digits`
 * (`"::1:8080"`, `"2001:db8::1:80"`), is refused as ambiguous: write `"[::1]:8080"` for the
 * address with a port, or `"[::1:8080]"` for the address alone.
 *
 * @example
 * ```ts
 * import { formatEndpoint, parseEndpoint } from 'dsock';
 *
 * console.log(parseEndpoint('127.0.0.1:8080')); // { host: '127.0.0.1', port: 8080 }
 * console.log(parseEndpoint('[::1]:8080')); // { host: '::1', port: 8080 }
 * console.log(parseEndpoint(':9000')); // { host: '0.0.0.0', port: 9000 }
 * console.log(formatEndpoint(parseEndpoint('[::1]:8080'))); // [::1]:8080
 * ```
 */
export function parseEndpoint(text: string): Endpoint {
  if (typeof text !== 'string') {
    throw new InvalidEndpointError(
      `invalid endpoint ${describeInput(text)}: expected text such as "127.0.0.1:8080"`,
      text,
      'endpoint',
    );
  }
  const input = text;
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    const close = trimmed.indexOf(']');
    if (close < 0) {
      throw new InvalidEndpointError(
        `invalid endpoint "${input}": "[" without a closing "]"`,
        input,
        'endpoint',
      );
    }
    const host = trimmed.slice(1, close);
    if (!isIPv6(host)) {
      throw new InvalidEndpointError(
        `invalid host "${host}" in endpoint "${input}": brackets hold an IPv6 address`,
        input,
        'host',
      );
    }
    const rest = trimmed.slice(close + 1);
    if (rest.length === 0) return { host, port: 0 };
    if (!rest.startsWith(':')) {
      throw new InvalidEndpointError(
        `invalid endpoint "${input}": expected ":PORT" after "]"`,
        input,
        'endpoint',
      );
    }
    return { host, port: parsePortText(rest.slice(1), input) };
  }

  const colons = trimmed.split(':').length - 1;
  if (colons === 0) {
    if (trimmed.length === 0) return { host: ANY_ADDRESS.IPv4, port: 0 };
    return { host: checkHost(trimmed, input), port: 0 };
  }
  if (colons === 1) {
    const at = trimmed.indexOf(':');
    const hostText = trimmed.slice(0, at);
    const host = hostText.length === 0 ? ANY_ADDRESS.IPv4 : checkHost(hostText, input);
    return { host, port: parsePortText(trimmed.slice(at + 1), input) };
  }
  const at = trimmed.lastIndexOf(':');
  const head = trimmed.slice(0, at);
  const tail = trimmed.slice(at + 1);
  const whole = isIPv6(trimmed);
  if (isIPv6(head) && DIGITS.test(tail)) {
    // "::1:8080" is both the address ::1:8080 and ::1 with port 8080; guessing either way
    // would silently use the wrong endpoint, so the brackets must say which.
    const address = whole ? `, or [${trimmed}] for the address ${trimmed}` : '';
    throw new InvalidEndpointError(
      `ambiguous endpoint "${input}": an IPv6 address with a port must be bracketed, ` +
        `write [${head}]:${tail}${address}`,
      input,
      'endpoint',
    );
  }
  if (whole) return { host: trimmed, port: 0 };
  throw new InvalidEndpointError(
    `invalid endpoint "${input}": not HOST:PORT, [IPv6]:PORT or an IPv6 address`,
    input,
    'endpoint',
  );
}

/** Defaults used by {@link toEndpoint} for the parts an {@link EndpointLike} leaves out. */
export interface EndpointDefaults {
  /** The host when none is given (default `0.0.0.0`, any address). */
  host?: string;
  /** The port when none is given (default 0). */
  port?: number;
}

/**
 * Normalises an {@link EndpointLike} into a checked {@link Endpoint}: text is parsed, a number
 * is a port on the default host, and a partial object takes the defaults for what it lacks.
 * Throws {@link InvalidEndpointError}.
 */
export function toEndpoint(
  like: EndpointLike | undefined,
  defaults: EndpointDefaults = {},
): Endpoint {
  const defaultHost = defaults.host ?? ANY_ADDRESS.IPv4;
  const defaultPort = defaults.port ?? 0;
  if (like === undefined) return { host: defaultHost, port: defaultPort };
  if (typeof like === 'number') return { host: defaultHost, port: checkPort(like) };
  if (typeof like === 'string') {
    const parsed = parseEndpoint(like);
    const text = like.trim();
    // Only "" and ":PORT" leave the host out; "::1" and "::" start with a colon too, but name
    // an address.
    const noHost = text.length === 0 || (text.startsWith(':') && text.indexOf(':', 1) < 0);
    return { host: noHost ? defaultHost : parsed.host, port: parsed.port };
  }
  if (typeof like !== 'object' || like === null) {
    throw new InvalidEndpointError(
      `invalid endpoint ${describeInput(like)}: expected "HOST:PORT", a port number or { host, port }`,
      like,
      'endpoint',
    );
  }
  if (like.host !== undefined && typeof like.host !== 'string') checkHost(like.host, like);
  const host = like.host === undefined || like.host === '' ? defaultHost : like.host;
  // Brackets are accepted around IPv6 hosts given as objects, as users copy them from text.
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return {
    host: checkHost(bare, like),
    port: like.port === undefined ? defaultPort : checkPort(like.port, like),
  };
}

/** The address family of an address literal, or undefined for a host name. */
export function familyOf(host: string): AddressFamily | undefined {
  if (isIPv4(host)) return 'IPv4';
  if (isIPv6(host)) return 'IPv6';
  return undefined;
}
