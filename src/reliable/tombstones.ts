import { randomInt } from 'node:crypto';

/** What is remembered of a flow after it ended. */
export interface Tombstone {
  /** The sequence number the flow ended at (its FIN's), for re-acknowledging. */
  readonly finalSeq: number;
  /** True when the flow was reset, expired or evicted rather than completed: answer RESET. */
  readonly reset: boolean;
}

/**
 * The flows a receiver has ended, remembered so that no datagram of theirs (a late
 * retransmission, or a replay) is delivered again or taken for a new flow; and the receiver's
 * epoch, which bounds how long they must be remembered (docs/reliable-protocol.md, "Epochs").
 *
 * Records live in two generations of `limit / 2`. When the current one is full, the epoch
 * advances, the current generation becomes the previous one and the previous one is dropped.
 * A new flow is accepted only with the current or the previous epoch, so every datagram of a
 * dropped record carries an epoch that is refused: forgetting never lets a replay through,
 * whichever peer filled the records.
 */
export class Tombstones {
  #current = new Map<string, Tombstone>();
  #previous = new Map<string, Tombstone>();
  readonly #generation: number;
  #epoch = randomInt(1, 2 ** 32);
  #previousEpoch = this.#epoch;

  constructor(limit: number) {
    this.#generation = Math.max(1, Math.floor(limit / 2));
  }

  /** The receiver's current epoch, never 0. */
  get epoch(): number {
    return this.#epoch;
  }

  get size(): number {
    return this.#current.size + this.#previous.size;
  }

  /** True when a new flow may start with `epoch`: the current or the previous one. */
  fresh(epoch: number): boolean {
    return epoch === this.#epoch || epoch === this.#previousEpoch;
  }

  add(peerKey: string, incarnation: number, finalSeq: number, reset: boolean): void {
    if (this.#current.size >= this.#generation) {
      this.#previous = this.#current;
      this.#current = new Map();
      this.#previousEpoch = this.#epoch;
      this.#epoch = (this.#epoch + 1) >>> 0 || 1;
    }
    const key = `${peerKey}#${incarnation}`;
    this.#previous.delete(key);
    this.#current.set(key, { finalSeq, reset });
  }

  get(peerKey: string, incarnation: number): Tombstone | undefined {
    const key = `${peerKey}#${incarnation}`;
    return this.#current.get(key) ?? this.#previous.get(key);
  }

  clear(): void {
    this.#current.clear();
    this.#previous.clear();
  }
}
