import type { PeerContext, PeerMessage } from './peer-protocol.js';
import { percentile } from './stats.js';

/** Parameters of a ping-pong client: how many round trips to discard, then to time. */
export interface PingParams {
  port: number;
  size: number;
  warmup: number;
  iterations: number;
}

/** What a ping-pong client reports, in microseconds. */
export interface Latencies extends PeerMessage {
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

/**
 * Round-trip times of one outstanding request at a time. The client records each timed round
 * trip's nanoseconds with {@link record}; the first `warmup` calls are discarded.
 */
export class RoundTrips {
  readonly #samples: Float64Array;
  readonly #warmup: number;
  #calls = 0;

  constructor(params: PingParams) {
    this.#samples = new Float64Array(params.iterations);
    this.#warmup = params.warmup;
  }

  /** True once every warm-up and timed round trip has been recorded. */
  get done(): boolean {
    return this.#calls >= this.#warmup + this.#samples.length;
  }

  /** Records one round trip that took `nanoseconds`. */
  record(nanoseconds: bigint): void {
    const at = this.#calls++ - this.#warmup;
    if (at >= 0 && at < this.#samples.length) this.#samples[at] = Number(nanoseconds);
  }

  /** The percentiles, in microseconds. */
  result(): Latencies {
    const micros = Array.from(this.#samples, (ns) => ns / 1000);
    const total = micros.reduce((sum, value) => sum + value, 0);
    return {
      type: 'result',
      p50: percentile(micros, 50),
      p99: percentile(micros, 99),
      mean: total / micros.length,
      max: Math.max(...micros),
    };
  }
}

/** The client side common to every echo contender: ready, go, round trips, result. */
export async function pingSide(
  context: PeerContext<PingParams>,
  run: (trips: RoundTrips) => Promise<void>,
): Promise<void> {
  const trips = new RoundTrips(context.params);
  context.post({ type: 'ready' });
  await context.next('go');
  await run(trips);
  context.post(trips.result());
}
