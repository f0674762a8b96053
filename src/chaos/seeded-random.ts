/**
 * A small, fast, seedable pseudo-random generator (mulberry32), so that a fault-injection run
 * can be repeated exactly with the same seed. Not for cryptography.
 */
export class SeededRandom {
  #state: number;

  /** @param seed any integer; the same seed gives the same sequence */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /** A number in [min, max]. */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }
}
