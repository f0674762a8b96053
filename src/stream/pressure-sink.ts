/**
 * How a receive buffer tells its owner to stop or restart the source of its data, and learns
 * the peer that its errors name.
 */
import type { Endpoint } from '../endpoint/endpoint.js';

/** The key of {@link PressureSink}'s method, kept out of the owner's public API. */
export const onPressure: unique symbol = Symbol('onPressure');
/** The key of {@link PressureSink}'s peer, kept out of the owner's public API. */
export const peerOf: unique symbol = Symbol('peerOf');

/**
 * Told `true` when the source must stop delivering data, `false` when it may go on, and asked
 * for the peer that errors name. An object with methods rather than callbacks and a field, so
 * that neither the owner nor the buffer holds anything more for them.
 */
export interface PressureSink {
  [onPressure](paused: boolean): void;
  [peerOf](): Endpoint | undefined;
}
