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
