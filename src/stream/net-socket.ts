/**
 * What a StreamSocket keeps on, and reads from, the net.Socket it wraps. An idle connection
 * pays for every field and closure here ten thousand times over in a busy server, so the
 * wrapped socket carries one back-reference instead of listener closures, and address strings
 * are shared between connections. Only public properties of the net.Socket are used.
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

// Writable's public `errored` getter, taken once: net.Socket's own `errored` is the Readable
// one, and a Reflect.get through the prototype on every send costs three times the call.
const writableErroredGetter: ((this: Writable) => unknown) | undefined =
  Reflect.getOwnPropertyDescriptor(Writable.prototype, 'errored')?.get;

/** The error of the writing side: net.Socket's own `errored` reports the reading side. */
export function writableErrored(socket: Socket): unknown {
  if (writableErroredGetter === undefined)
    return Reflect.get(Writable.prototype, 'errored', socket);
  return writableErroredGetter.call(socket);
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
