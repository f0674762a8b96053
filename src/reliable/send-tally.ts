import type { SendDone } from '../datagram/transport.js';

/**
 * Counts the datagrams a reliable socket handed to its transport that the transport has not
 * called back yet. A transport may drop the sends a close overtakes (node:dgram's lookup of a
 * host name), and calls back a send libuv holds only later, so closing waits here first: the
 * FIN that tells a receiver the flow ended goes out instead of being dropped with the socket.
 */
export class SendTally {
  /** Sends handed over and not yet called back. */
  #outstanding = 0;
  #drained: (() => void) | undefined;
  /** The callback of every send: one function for all of them. */
  readonly done: SendDone;

  constructor(onError: (error: Error) => void) {
    this.done = (error) => {
      if (error !== null) onError(error);
      // Never below 0: a transport that called back twice must not make close wait forever.
      if (this.#outstanding > 0) this.#outstanding--;
      if (this.#outstanding === 0 && this.#drained !== undefined) {
        const drained = this.#drained;
        this.#drained = undefined;
        drained();
      }
    };
  }

  /** Counts a send about to be handed to the transport, which then calls {@link done}. */
  started(): void {
    this.#outstanding++;
  }

  /** Resolves once every send handed over so far has been called back. */
  drained(): Promise<void> {
    if (this.#outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const before = this.#drained;
      this.#drained = before === undefined ? resolve : () => (before(), resolve());
    });
  }
}
