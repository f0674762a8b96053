import type { Latencies, PingParams, ServerUsage } from './latency.js';
import type { PeerHandle } from './peer.js';
import type { PeerMessage } from './peer-protocol.js';
import type { Contender, Metrics, MetricSpec, Mode, Scenario } from './scenario.js';

/** Sizes of an echo round-trip scenario. */
export interface EchoParams {
  size: number;
  warmup: number;
  iterations: number;
  /** Round trips one contender makes before the next one takes over. */
  block: number;
}

interface Ready extends PeerMessage {
  port: number;
}

/**
 * The metrics of every echo scenario: round-trip percentiles, compared as ratios. dsock may add
 * at most 5 % to raw Node's round trip, at the median and at the 99th percentile.
 */
export const ECHO_METRICS: readonly MetricSpec[] = [
  {
    key: 'p50',
    label: 'RTT p50',
    unit: 'µs',
    better: 'lower',
    ratio: true,
    target: 1.05,
    targetFor: ['dsock', 'dsock-ts'],
    digits: 1,
  },
  {
    key: 'p99',
    label: 'RTT p99',
    unit: 'µs',
    better: 'lower',
    ratio: true,
    target: 1.05,
    targetFor: ['dsock', 'dsock-ts'],
    digits: 1,
  },
  { key: 'mean', label: 'RTT mean', unit: 'µs', better: 'lower', ratio: true, digits: 1 },
  {
    key: 'clientCpu',
    label: 'client CPU per round trip',
    unit: 'µs',
    better: 'lower',
    ratio: true,
    digits: 2,
  },
  {
    key: 'serverCpu',
    label: 'server CPU per round trip',
    unit: 'µs',
    better: 'lower',
    ratio: true,
    digits: 2,
  },
];

/** Sizes for a mode: 64-byte messages, one outstanding at a time. */
export function echoParams(mode: Mode): EchoParams {
  return mode === 'quick'
    ? { size: 64, warmup: 1_000, iterations: 6_000, block: 1_000 }
    : { size: 64, warmup: 3_000, iterations: 20_000, block: 1_000 };
}

interface Pair {
  contender: Contender;
  server: PeerHandle;
  client: PeerHandle;
}

/**
 * An echo scenario: for each contender a server thread echoes and a client thread sends `size`
 * bytes and waits for them to come back, one request outstanding, timing each round trip.
 * Every contender's pair is started at once and they take turns in blocks of round trips (one
 * pair works while the others wait idle), so that a change in the machine's speed hits every
 * contender alike.
 */
export function echoScenario(
  id: string,
  title: string,
  transport: string,
  contenders: readonly Contender[],
): Scenario<EchoParams> {
  return {
    id,
    title,
    params: echoParams,
    roles: ['server', 'client'],
    describe: (p) =>
      `${p.size}-byte ${transport} echo between two threads, one request outstanding; ` +
      `${p.warmup.toLocaleString('en-US')} warm-up round trips, then ` +
      `${p.iterations.toLocaleString('en-US')} timed with process.hrtime; the contenders ` +
      `take turns in blocks of ${p.block.toLocaleString('en-US')} round trips`,
    metrics: ECHO_METRICS,
    contenders,
    async round(order, p, context) {
      const wait = context.messageTimeoutMs;
      const pairs: Pair[] = [];
      for (const contender of order) {
        const server = context.start(contender, 'server', {});
        const { port } = await server.next<Ready>('ready', wait);
        const params: PingParams = {
          port,
          size: p.size,
          warmup: p.warmup,
          iterations: p.iterations,
        };
        const client = context.start(contender, 'client', params);
        await client.next('ready', wait);
        pairs.push({ contender, server, client });
      }
      const total = p.warmup + p.iterations;
      for (let done = 0, block = 0; done < total; block++) {
        const trips = Math.min(p.block, total - done);
        for (const { client } of block % 2 === 0 ? pairs : [...pairs].reverse()) {
          client.post({ type: 'block', trips });
          await client.next('block-done', wait);
        }
        done += trips;
      }
      const metrics: Record<string, Metrics> = {};
      for (const { contender, server, client } of pairs) {
        client.post({ type: 'finish' });
        const { p50, p99, mean, cpuMs } = await client.next<Latencies>('result', wait);
        server.post({ type: 'stop' });
        const usage = await server.next<ServerUsage>('usage', wait);
        metrics[contender.id] = {
          p50,
          p99,
          mean,
          clientCpu: (cpuMs * 1000) / total,
          serverCpu: (usage.cpuMs * 1000) / total,
        };
      }
      return metrics;
    },
  };
}
