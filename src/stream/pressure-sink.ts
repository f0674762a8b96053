/**
 * How a receive buffer tells its owner to stop or restart the source of its data, learns the
 * peer that its errors name, and has the owner read from the source at once.
 */
import type { Endpoint } from '../endpoint/endpoint.js';

/** The key of {@link PressureSink}'s method, kept out of the owner's public API. */
export const onPressure: unique symbol = Symbol('onPressure');
/** The key of {@link PressureSink}'s peer, kept out of the owner's public API. */
export const peerOf: unique symbol = Symbol('peerOf');
/** The key of {@link PressureSink}'s read at once, kept out of the owner's public API. */
export const readNow: unique symbol = Symbol('readNow');

/**
 * Told `true` when the source must stop delivering data, `false` when it may go on, and asked
 * for the peer that errors name. An object with methods rather than callbacks and a field, so
 * that neither the owner nor the buffer holds anything more for them.
 */
export interface PressureSink {
  [onPressure](paused: boolean): void;
  [peerOf](): Endpoint | undefined;
  /**
   * Reads what the source holds now straight into `target`, without waiting: returns the count;
   * 0 when it took nothing, or below 0 when it cannot read now but may on a later read (the
   * buffer then waits for the source's next delivery). Asked only while the buffer holds
   * nothing and no read waits, so the bytes come in order.
   */
  [readNow](target: Uint8Array): number;
}
