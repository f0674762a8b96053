import { busyMeter } from './busy.js';
import type { PeerContext, PeerMessage } from './peer-protocol.js';
import { percentileOfSorted, sorted } from './stats.js';

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
  /** Busy time of the client's event loop over every round trip, warm-up included. */
  busyMs: number;
}

/** What an echo server reports once stopped: its busy time since it was ready. */
export interface ServerUsage extends PeerMessage {
  busyMs: number;
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
  result(busyMs: number): Latencies {
    const micros = sorted(Array.from(this.#samples, (ns) => ns / 1000));
    const total = micros.reduce((sum, value) => sum + value, 0);
    return {
      type: 'result',
      p50: percentileOfSorted(micros, 50),
      p99: percentileOfSorted(micros, 99),
      mean: total / micros.length,
      max: micros[micros.length - 1] ?? NaN,
      busyMs,
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
  const busy = busyMeter();
  await run(trips);
  context.post(trips.result(busy()));
}

/**
 * The server side common to every echo contender: reports `port`, serves until the coordinator
 * says stop, runs `close`, and reports how busy it was.
 */
export async function echoSide(
  context: PeerContext<unknown>,
  port: number,
  close: () => Promise<void> | void,
): Promise<void> {
  context.post({ type: 'ready', port });
  const busy = busyMeter();
  await context.next('stop');
  const busyMs = busy();
  await close();
  context.post({ type: 'usage', busyMs });
}
