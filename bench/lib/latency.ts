import { threadCpuMeter } from './thread-cpu.js';
import type { PeerContext, PeerMessage } from './peer-protocol.js';
import { percentileOfSorted, sorted } from './stats.js';

/** Parameters of a ping-pong client: how many round trips to discard, then to time. */
export interface PingParams {
  port: number;
  size: number;
  warmup: number;
  iterations: number;
}

/** The coordinator's order to a ping-pong client: make `trips` round trips now. */
export interface Block extends PeerMessage {
  trips: number;
}

/** What a ping-pong client reports, in microseconds. */
export interface Latencies extends PeerMessage {
  p50: number;
  p99: number;
  mean: number;
  max: number;
  /** CPU time of the client thread during its blocks, warm-up included, in ms. */
  cpuMs: number;
}

/** What an echo server reports once stopped: its CPU time since it was ready, in ms. */
export interface ServerUsage extends PeerMessage {
  cpuMs: number;
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

  /** Records one round trip that took `nanoseconds`. */
  record(nanoseconds: bigint): void {
    const at = this.#calls++ - this.#warmup;
    if (at >= 0 && at < this.#samples.length) this.#samples[at] = Number(nanoseconds);
  }

  /** The percentiles of the timed round trips, in microseconds. */
  result(cpuMs: number): Latencies {
    const timed = Math.max(0, Math.min(this.#samples.length, this.#calls - this.#warmup));
    const micros = sorted(Array.from(this.#samples.subarray(0, timed), (ns) => ns / 1000));
    const total = micros.reduce((sum, value) => sum + value, 0);
    return {
      type: 'result',
      p50: percentileOfSorted(micros, 50),
      p99: percentileOfSorted(micros, 99),
      mean: total / micros.length,
      max: micros[micros.length - 1] ?? NaN,
      cpuMs,
    };
  }
}

/** Makes `count` round trips, recording each in `trips`. */
export type RunBlock = (trips: RoundTrips, count: number) => Promise<void>;

/**
 * The client side common to every echo contender: reports ready, then makes the round trips
 * of each `block` it is sent, until `finish`, when it reports the latencies.
 */
export async function pingSide(context: PeerContext<PingParams>, run: RunBlock): Promise<void> {
  const trips = new RoundTrips(context.params);
  let cpuMs = 0;
  context.post({ type: 'ready' });
  for (;;) {
    const message = await context.next<Block>(['block', 'finish']);
    if (message.type === 'finish') break;
    const cpu = threadCpuMeter();
    await run(trips, message.trips);
    cpuMs += cpu();
    context.post({ type: 'block-done' });
  }
  context.post(trips.result(cpuMs));
}

/**
 * The server side common to every echo contender: reports `port`, serves until the coordinator
 * says stop, runs `close`, and reports its CPU time.
 */
export async function echoSide(
  context: PeerContext<unknown>,
  port: number,
  close: () => Promise<void> | void,
): Promise<void> {
  context.post({ type: 'ready', port });
  const cpu = threadCpuMeter();
  await context.next('stop');
  const cpuMs = cpu();
  await close();
  context.post({ type: 'usage', cpuMs });
}
