/**
 * Memory figures of the current process, for children started with `--expose-gc`: settled ones
 * (after full collections, so that garbage does not count) and RSS sampled over time.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { getHeapSpaceStatistics } from 'node:v8';

/** Bytes, as `process.memoryUsage()` reports them. */
export interface MemoryFigures {
  rss: number;
  heapUsed: number;
  /** Memory outside the V8 heap owned by JavaScript objects (Buffers among them). */
  external: number;
  /**
   * Memory the young generation holds. V8 grows it while many allocations survive (a burst of
   * new connections), and a full collection empties it without giving the memory back: part of
   * the RSS that is not live data.
   */
  newSpace: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

/**
 * The process's memory once garbage is collected: several full collections, each followed by
 * a turn of the event loop so that weak callbacks and finalizers that free native memory run.
 */
export async function settledMemory(): Promise<MemoryFigures> {
  if (gc === undefined) throw new Error('settledMemory needs node --expose-gc');
  for (let i = 0; i < 3; i++) {
    gc();
    await nextTurn();
  }
  const usage = process.memoryUsage();
  const newSpace = getHeapSpaceStatistics().find((space) => space.space_name === 'new_space');
  return {
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    external: usage.external,
    newSpace: newSpace?.physical_space_size ?? NaN,
  };
}

/** RSS sampled at a fixed interval, as [ms since start, bytes] pairs. */
export class RssSampler {
  readonly samples: [number, number][] = [];
  readonly #started = performance.now();
  readonly #timer: NodeJS.Timeout;

  constructor(intervalMs: number) {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  /** Takes a last sample and stops. */
  stop(): [number, number][] {
    clearInterval(this.#timer);
    this.#sample();
    return this.samples;
  }

  #sample(): void {
    this.samples.push([performance.now() - this.#started, process.memoryUsage.rss()]);
  }
}
