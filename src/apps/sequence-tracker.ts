/**
 * Counts what arrives of a numbered sequence (the streamer's `Number i` messages): how many
 * arrived, how many distinct, duplicates, and arrivals that came after a higher number. Memory is
 * one bit per number up to the highest seen, bounded by `maxNumber`.
 */
export interface SequenceSummary {
  received: number;
  distinct: number;
  /** Numbers missing below the highest seen (or below `expected`, when given). */
  lost: number;
  duplicated: number;
  /** Arrivals of a new number after a higher number had already arrived. */
  outOfOrder: number;
}

/** The largest sequence number tracked by default (12.5 MB of bits at most). */
export const DEFAULT_MAX_SEQUENCE_NUMBER = 100_000_000;

export class SequenceTracker {
  #seen = new Uint8Array(1024);
  #received = 0;
  #distinct = 0;
  #duplicated = 0;
  #outOfOrder = 0;
  #highest = -1;
  /** Arrivals whose number was beyond `maxNumber`: counted as received, not tracked. */
  #untracked = 0;

  constructor(readonly maxNumber = DEFAULT_MAX_SEQUENCE_NUMBER) {}

  /** Records one arrival of `n` (a non-negative integer). Returns true if it was new. */
  record(n: number): boolean {
    this.#received++;
    if (!Number.isInteger(n) || n < 0 || n > this.maxNumber) {
      this.#untracked++;
      return false;
    }
    const byte = n >>> 3;
    if (byte >= this.#seen.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.#seen.length * 2));
      grown.set(this.#seen);
      this.#seen = grown;
    }
    const bit = 1 << (n & 7);
    if ((this.#seen[byte] as number) & bit) {
      this.#duplicated++;
      return false;
    }
    this.#seen[byte] = (this.#seen[byte] as number) | bit;
    this.#distinct++;
    if (n < this.#highest) this.#outOfOrder++;
    else this.#highest = n;
    return true;
  }

  /** Arrivals whose number was out of the tracked range (negative, or beyond `maxNumber`). */
  get untracked(): number {
    return this.#untracked;
  }

  /** Distinct numbers seen so far. */
  get distinct(): number {
    return this.#distinct;
  }

  /** The counts so far; `expected` counts as lost every number below it that never arrived. */
  summary(expected?: number): SequenceSummary {
    const span = expected === undefined ? this.#highest + 1 : Math.max(expected, this.#highest + 1);
    return {
      received: this.#received,
      distinct: this.#distinct,
      lost: Math.max(0, span - this.#distinct),
      duplicated: this.#duplicated,
      outOfOrder: this.#outOfOrder,
    };
  }
}

/** The summary as the sink prints it: one `key: value` a line. */
export function formatSequenceSummary(summary: SequenceSummary): string {
  return (
    `received: ${summary.received}\n` +
    `distinct: ${summary.distinct}\n` +
    `lost: ${summary.lost}\n` +
    `duplicated: ${summary.duplicated}\n` +
    `out of order: ${summary.outOfOrder}\n`
  );
}
