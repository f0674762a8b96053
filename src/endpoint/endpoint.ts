/**
 * A transport endpoint: an IP address (or host name) and a port, the pair that names one
 * end of a communication path.
 */
export interface Endpoint {
  /** An IPv4 or IPv6 address literal, or a host name to be resolved. */
  host: string;
  /** A port number, 0..65535. Port 0 asks the operating system to choose one when binding. */
  port: number;
}

/**
 * Anything dsock accepts where an endpoint is expected: an {@link Endpoint}, a partial one
 * (the missing parts take the defaults of the call), a port number, or text such as
 * `"127.0.0.1:8080"`, `"[::1]:8080"`, `"example.org"` or `":8080"`.
 */
export type EndpointLike = string | number | Partial<Endpoint>;

/** The IP version of a socket. */
export type AddressFamily = 'IPv4' | 'IPv6';

/** The wildcard address of each family: bind to it to receive on every interface. */
export const ANY_ADDRESS: Readonly<Record<AddressFamily, string>> = {
  IPv4: '0.0.0.0',
  IPv6: '::',
};

/** The loopback address of each family. */
export const LOOPBACK_ADDRESS: Readonly<Record<AddressFamily, string>> = {
  IPv4: '127.0.0.1',
  IPv6: '::1',
};
