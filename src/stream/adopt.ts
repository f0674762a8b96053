/**
 * Keys of the StreamSocket members that StreamServer uses to wrap the connections it accepts.
 * They are not exported from the package, so they stay out of the public API.
 */

/**
 * `StreamSocket[adoptSocket](socket, receiveBufferLimit, idleTimeout)`: wraps an accepted, paused
 * socket.
 */
export const adoptSocket: unique symbol = Symbol('adoptSocket');

/** `stream[startReading]()`: starts reading an adopted socket once the application accepts it. */
export const startReading: unique symbol = Symbol('startReading');

/**
 * `stream[countedBy](counter)`: has an adopted socket tell `counter` when its connection closes,
 * so that the server counts open connections without a listener of its own on each socket.
 */
export const countedBy: unique symbol = Symbol('countedBy');

/** The key of {@link ConnectionCounter}'s method, kept out of the server's public API. */
export const connectionClosed: unique symbol = Symbol('connectionClosed');

/** Told once when a connection it counts has closed. */
export interface ConnectionCounter {
  [connectionClosed](): void;
}
