/**
 * What a StreamSocket keeps on, and reads from, the net.Socket it wraps. An idle connection
 * pays for every field and closure here ten thousand times over in a busy server, so the
 * wrapped socket carries one back-reference instead of listener closures, and address strings
 * are shared between connections.
 */
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';

/**
 * The key of the back-reference from a net.Socket to the object wrapping it, which shared
 * listener functions reach through the socket they are called on.
 */
export const owner: unique symbol = Symbol('StreamSocket');

/** A net.Socket carrying its wrapper under {@link owner}. */
export type OwnedSocket<T> = Socket & { [owner]: T };

/** The error of the writing side: net.Socket's own `errored` reports the reading side. */
export function writableErrored(socket: Socket): unknown {
  return Reflect.get(Writable.prototype, 'errored', socket);
}

/**
 * Node's caches of the addresses a net.Socket has been asked for. Each endpoint is read once and
 * kept by the wrapper, so the caches would only hold second copies (Node asks the system again
 * should the address be wanted).
 */
interface AddressCaches {
  _sockname: unknown;
  _peername: unknown;
}

/** Drops Node's cached copies of the socket's addresses (see {@link AddressCaches}). */
export function dropAddressCaches(socket: Socket): void {
  const caches = socket as unknown as AddressCaches;
  caches._sockname = null;
  caches._peername = null;
}

// Connections share their addresses' strings (the system hands out a new one each time): the
// last one seen is kept, which serves the common case of many connections from or to one host.
let lastLocalHost = '';
let lastRemoteHost = '';

/** `host`, or the equal string the previous connection's local address used. */
export function sharedLocalHost(host: string): string {
  if (host === lastLocalHost) return lastLocalHost;
  return (lastLocalHost = host);
}

/** `host`, or the equal string the previous connection's peer address used. */
export function sharedRemoteHost(host: string): string {
  if (host === lastRemoteHost) return lastRemoteHost;
  return (lastRemoteHost = host);
}
