/**
 * The errors a stream socket raises for its connection as a whole and its reading side, each
 * naming the peer (those of the sending side are in send-side.ts).
 */
import type { Endpoint } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { SocketClosedError, TimeoutError } from '../errors.js';

/** The connection closed by the idle timeout after `ms` milliseconds without traffic. */
export function idleTimeoutError(remote: Endpoint, ms: number): TimeoutError {
  return new TimeoutError(
    `connection from ${formatEndpoint(remote)} closed: idle for ${ms} ms ` +
      '(nothing received or sent; idleTimeout)',
    ms,
    { endpoint: remote },
  );
}

/** `operation` (e.g. "recv from 127.0.0.1:5000") failed because the socket is closed. */
export function closedForReading(operation: string, remote: Endpoint): SocketClosedError {
  return new SocketClosedError(`${operation} failed: socket is closed`, { endpoint: remote });
}

/** A call (`what`, e.g. "shutdown of", "setNoDelay on") on a socket that is closed. */
export function closedFor(what: string, remote: Endpoint): SocketClosedError {
  return new SocketClosedError(`${what} ${formatEndpoint(remote)}: socket is closed`, {
    endpoint: remote,
  });
}
