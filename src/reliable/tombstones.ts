/** What is remembered of a flow after it ended. */
export interface Tombstone {
  /** The sequence number the flow ended at (its FIN's), for re-acknowledging. */
  readonly finalSeq: number;
  /** True when the flow was refused or broken rather than completed: answer with RESET. */
  readonly reset: boolean;
  readonly expires: number;
}

/**
 * The flows a receiver completed or refused, remembered for a while so that late
 * retransmissions are neither delivered again nor taken for a new flow. Bounded in number
 * (the oldest go first) and in time; entries expire in insertion order, so no timer is needed.
 */
export class Tombstones {
  readonly #entries = new Map<string, Tombstone>();

  constructor(
    private readonly limit: number,
    private readonly lifetime: number,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  add(peerKey: string, incarnation: number, finalSeq: number, reset: boolean, now: number): void {
    const key = `${peerKey}#${incarnation}`;
    this.#entries.delete(key);
    this.#entries.set(key, { finalSeq, reset, expires: now + this.lifetime });
    this.#prune(now);
  }

  get(peerKey: string, incarnation: number, now: number): Tombstone | undefined {
    this.#prune(now);
    return this.#entries.get(`${peerKey}#${incarnation}`);
  }

  clear(): void {
    this.#entries.clear();
  }

  #prune(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.limit && entry.expires > now) return;
      this.#entries.delete(key);
    }
  }
}
