import type { Latencies, PingParams, ServerUsage } from './latency.js';
import type { PeerMessage } from './peer-protocol.js';
import type { Contender, MetricSpec, Mode, Scenario, TrialContext } from './scenario.js';

/** Sizes of an echo round-trip scenario. */
export interface EchoParams {
  size: number;
  warmup: number;
  iterations: number;
}

interface Ready extends PeerMessage {
  port: number;
}

/** The metrics of every echo scenario: round-trip percentiles, compared as ratios. */
export const ECHO_METRICS: readonly MetricSpec[] = [
  {
    key: 'p50',
    label: 'RTT p50',
    unit: 'µs',
    better: 'lower',
    ratio: true,
    target: 1.1,
    digits: 1,
  },
  {
    key: 'p99',
    label: 'RTT p99',
    unit: 'µs',
    better: 'lower',
    ratio: true,
    target: 1.1,
    digits: 1,
  },
  { key: 'mean', label: 'RTT mean', unit: 'µs', better: 'lower', ratio: true, digits: 1 },
  {
    key: 'clientCpu',
    label: 'client busy per round trip',
    unit: 'µs',
    better: 'lower',
    ratio: true,
    digits: 2,
  },
  {
    key: 'serverCpu',
    label: 'server busy per round trip',
    unit: 'µs',
    better: 'lower',
    ratio: true,
    digits: 2,
  },
];

/** Sizes for a mode: 64-byte messages, one outstanding at a time. */
export function echoParams(mode: Mode): EchoParams {
  return mode === 'quick'
    ? { size: 64, warmup: 2_000, iterations: 10_000 }
    : { size: 64, warmup: 5_000, iterations: 30_000 };
}

/**
 * An echo scenario: a server thread echoes, a client thread sends `size` bytes and waits for
 * them to come back, `warmup + iterations` times, timing each round trip.
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
    describe: (p) =>
      `${p.size}-byte ${transport} echo between two threads, one request outstanding; ` +
      `${p.warmup.toLocaleString('en-US')} warm-up round trips, then ` +
      `${p.iterations.toLocaleString('en-US')} timed with process.hrtime`,
    metrics: ECHO_METRICS,
    contenders,
    async trial(_contender, p, context: TrialContext) {
      const wait = context.messageTimeoutMs;
      const server = context.start('server', {});
      const { port } = await server.next<Ready>('ready', wait);
      const params: PingParams = { port, ...p };
      const client = context.start('client', params);
      await client.next('ready', wait);
      client.post({ type: 'go' });
      const { p50, p99, mean, busyMs } = await client.next<Latencies>('result', wait);
      server.post({ type: 'stop' });
      const usage = await server.next<ServerUsage>('usage', wait);
      const trips = p.warmup + p.iterations;
      return {
        p50,
        p99,
        mean,
        clientCpu: (busyMs * 1000) / trips,
        serverCpu: (usage.busyMs * 1000) / trips,
      };
    },
  };
}
