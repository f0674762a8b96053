import type { PeerMessage } from './peer-protocol.js';
import { expectType } from './peer-protocol.js';

/**
 * Messages from one peer (a worker thread or a child process) waiting for the coordinator:
 * delivered in order to `next`, each bounded by a timeout; once the peer has failed, held
 * messages are still handed out and every later `next` rejects with the failure.
 */
export class MessageInbox {
  readonly #held: PeerMessage[] = [];
  #waiter: { resolve(message: PeerMessage): void; reject(error: Error): void } | undefined;
  #failure: Error | undefined;

  /** @param name the peer's name, for error messages */
  constructor(readonly name: string) {}

  /** Hands `message` to the waiting `next`, or holds it. */
  deliver(message: PeerMessage): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter) waiter.resolve(message);
    else this.#held.push(message);
  }

  /** Records the peer's failure (the first one counts) and rejects the waiting `next`. */
  fail(error: Error): void {
    this.#failure ??= error;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(this.#failure);
  }

  /** The next message, which must be of `type`, within `timeoutMs`. */
  async next<M extends PeerMessage = PeerMessage>(type: string, timeoutMs: number): Promise<M> {
    const held = this.#held.shift();
    if (held !== undefined) return expectType<M>(held, type, this.name);
    if (this.#failure !== undefined) throw this.#failure;
    let timer: NodeJS.Timeout | undefined;
    try {
      const message = await new Promise<PeerMessage>((resolve, reject) => {
        this.#waiter = { resolve, reject };
        timer = setTimeout(() => {
          this.#waiter = undefined;
          reject(new Error(`${this.name}: no "${type}" message within ${timeoutMs} ms`));
        }, timeoutMs);
      });
      return expectType<M>(message, type, this.name);
    } finally {
      clearTimeout(timer);
    }
  }
}
