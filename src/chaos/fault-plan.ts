import { checkNumber } from '../internal/validate.js';
import { SeededRandom } from './seeded-random.js';

/** How a misbehaving network treats each datagram, per direction. */
export interface Faults {
  /** Probability that a datagram is dropped, 0..1. */
  loss?: number;
  /** Probability that a datagram is delivered twice, 0..1. */
  dup?: number;
  /** Probability that a datagram is held back and delivered after later ones, 0..1. */
  reorder?: number;
  /** Delay added to every datagram, in milliseconds. */
  delay?: number;
  /** Random extra delay, uniform in [0, jitter] milliseconds. */
  jitter?: number;
  /** Seed for a reproducible run; random when left out. */
  seed?: number;
}

/** What to do with one datagram. */
export interface FaultDecision {
  /** Delays (ms) after which to deliver a copy: empty when dropped, two entries when duplicated. */
  deliveries: number[];
  dropped: boolean;
  duplicated: boolean;
  reordered: boolean;
}

/** Checks fault settings, naming the one that is out of range. */
export function checkFaults(faults: Faults): Required<Omit<Faults, 'seed'>> & { seed: number } {
  const probability = (name: keyof Faults): number =>
    checkNumber(name, faults[name] ?? 0, 0, 1, 'a probability');
  const milliseconds = (name: keyof Faults): number =>
    checkNumber(name, faults[name] ?? 0, 0, Infinity, 'a number of milliseconds');
  return {
    loss: probability('loss'),
    dup: probability('dup'),
    reorder: probability('reorder'),
    delay: milliseconds('delay'),
    jitter: milliseconds('jitter'),
    seed: faults.seed ?? Math.floor(Math.random() * 2 ** 32),
  };
}

/**
 * Decides, datagram by datagram, what a lossy network does. A reordered datagram is held back
 * by `holdBack` ms beyond its delay (time for later datagrams to overtake it).
 */
export class FaultPlan {
  readonly #random: SeededRandom;
  readonly settings: ReturnType<typeof checkFaults>;

  constructor(
    faults: Faults,
    readonly holdBack = 5,
  ) {
    this.settings = checkFaults(faults);
    this.#random = new SeededRandom(this.settings.seed);
  }

  decide(): FaultDecision {
    const { loss, dup, reorder, delay, jitter } = this.settings;
    if (this.#random.chance(loss)) {
      return { deliveries: [], dropped: true, duplicated: false, reordered: false };
    }
    const reordered = this.#random.chance(reorder);
    const base = delay + (jitter > 0 ? this.#random.between(0, jitter) : 0);
    const first = reordered ? base + this.holdBack + this.#random.between(0, this.holdBack) : base;
    const duplicated = this.#random.chance(dup);
    const deliveries = duplicated
      ? [first, delay + (jitter > 0 ? this.#random.between(0, jitter) : 0)]
      : [first];
    return { deliveries, dropped: false, duplicated, reordered };
  }
}
