/**
 * How a StreamSocket hears from the net.Socket it wraps. The listeners are shared module-level
 * functions that reach the wrapper through the socket's {@link owner} back-reference, so a
 * connection pays for no listener closures and no object of its own here.
 */
import type { Socket } from 'node:net';
import { owner, type OwnedSocket } from './net-socket.js';

/** The keys of {@link SocketEventSink}'s methods, kept out of the owner's public API. */
export const onSocketData: unique symbol = Symbol('onSocketData');
export const onSocketRead: unique symbol = Symbol('onSocketRead');
export const onSocketEnd: unique symbol = Symbol('onSocketEnd');
export const onSocketError: unique symbol = Symbol('onSocketError');
export const onSocketClose: unique symbol = Symbol('onSocketClose');
export const onSocketIdle: unique symbol = Symbol('onSocketIdle');

/** What the wrapper of a net.Socket is told of it. */
export interface SocketEventSink {
  /** Data arrived. */
  [onSocketData](chunk: Buffer): void;
  /** Data arrived in memory the socket reuses once this returns: its first `bytes` bytes. */
  [onSocketRead](source: Buffer, bytes: number): void;
  /** The peer ended its side (end of stream). */
  [onSocketEnd](): void;
  /** The socket failed. */
  [onSocketError](error: Error): void;
  /** The socket is released. */
  [onSocketClose](): void;
  /** Nothing was received or sent for `idleTimeout` ms. */
  [onSocketIdle](idleTimeout: number): void;
}

type Owned = OwnedSocket<SocketEventSink>;

/**
 * Makes `sink` hear of `socket`'s data, end, errors and close, and, with `idleTimeout` (ms)
 * above 0, of the connection being idle that long.
 */
export function listenToSocket(socket: Socket, sink: SocketEventSink, idleTimeout: number): void {
  (socket as Owned)[owner] = sink;
  socket.on('data', onData);
  dropHalfCloseListener(socket);
  socket.on('end', onEnd);
  socket.on('error', onError);
  socket.on('close', onClose);
  if (idleTimeout > 0) {
    // Node re-arms this timer on each read and write at the cost of a timestamp: no timer
    // is created or cancelled per chunk.
    socket.setTimeout(idleTimeout);
    socket.on('timeout', onIdle);
  }
}

/**
 * Every net.Socket listens for its own end of stream, only to refuse further writes unless
 * `allowHalfOpen` is set. The wrapped socket always allows half-open connections, so that
 * listener does nothing, and without it ours is the only one: Node then keeps a function
 * rather than an array of two per socket.
 */
function dropHalfCloseListener(socket: Socket): void {
  if (!socket.allowHalfOpen) return;
  // Node's one listener, found by name on the first socket and then removed by reference:
  // looking for it on each socket would copy its listeners into an array every time.
  halfCloseListener ??= findHalfCloseListener(socket);
  if (halfCloseListener !== null) socket.off('end', halfCloseListener);
}

// Node's half-close listener: undefined before the first socket, null if this Node has none.
let halfCloseListener: ((...args: unknown[]) => void) | null | undefined;

function findHalfCloseListener(socket: Socket): ((...args: unknown[]) => void) | null {
  const listener = socket.listeners('end').find(({ name }) => name === 'onReadableStreamEnd');
  return (listener as ((...args: unknown[]) => void) | undefined) ?? null;
}

function onData(this: Owned, chunk: Buffer): void {
  this[owner][onSocketData](chunk);
}

function onEnd(this: Owned): void {
  this[owner][onSocketEnd]();
}

function onError(this: Owned, error: Error): void {
  this[owner][onSocketError](error);
}

function onClose(this: Owned): void {
  this[owner][onSocketClose]();
}

function onIdle(this: Owned): void {
  this[owner][onSocketIdle](this.timeout ?? 0);
}
