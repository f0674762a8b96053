/**
 * The receive side's memory while a sender floods a socket nobody reads, over UDP and TCP:
 * receiver and sender run in fresh child processes (see `memory/flood.ts`), and the receiver
 * samples its own RSS throughout.
 */
import { ChildHandle } from '../lib/child-process.js';
import type {
  Contender,
  Metrics,
  MetricSpec,
  Mode,
  Scenario,
  TrialContext,
} from '../lib/scenario.js';
import { apiOf, GC } from './memory.js';
import type { FloodDone, FloodParams, FloodReport } from './memory/flood.js';

const FLOOD_CHILD = new URL('./memory/flood.js', import.meta.url);
const KiB = 1024;
const MiB = 1024 * 1024;

interface FloodScenarioParams {
  size: number;
  seconds: number;
  window: number;
  sampleIntervalMs: number;
}

/** Flood sizes: `size` is a datagram's payload (UDP) or one write (TCP). */
const floodParams =
  (size: number) =>
  (mode: Mode): FloodScenarioParams => ({
    size,
    seconds: mode === 'quick' ? 2 : 5,
    window: 64,
    sampleIntervalMs: 20,
  });

const memoryMetric = (key: string, label: string, extra: Partial<MetricSpec> = {}): MetricSpec => ({
  key,
  label,
  unit: 'MiB',
  better: 'lower',
  // A receiver that holds nothing grows by next to nothing: a ratio to it says little.
  ratio: false,
  headline: true,
  digits: 2,
  ...extra,
});

const FLOOD_MEMORY_METRICS: MetricSpec[] = [
  memoryMetric('peak', 'peak RSS growth'),
  memoryMetric('drift', 'RSS peak, second half minus first half'),
  memoryMetric('held', 'held after the flood (heap + external, settled)'),
];

/** Runs one flood: receiver and sender children, the receiver's RSS sampled throughout. */
async function floodTrial(
  protocol: 'udp' | 'tcp',
  contender: Contender,
  p: FloodScenarioParams,
  context: TrialContext,
): Promise<{ report: FloodReport; done: FloodDone; metrics: Metrics }> {
  const wait = context.messageTimeoutMs;
  const base = { protocol, api: apiOf(contender), ...p };
  const receiver = new ChildHandle(
    `${contender.id} receiver`,
    FLOOD_CHILD,
    { ...base, role: 'receiver' } satisfies FloodParams,
    GC,
  );
  let sender: ChildHandle | undefined;
  try {
    const { port } = await receiver.next<{ type: string; port: number }>('ready', wait);
    sender = new ChildHandle(
      `${contender.id} sender`,
      FLOOD_CHILD,
      { ...base, role: 'sender', port } satisfies FloodParams,
      GC,
    );
    await sender.next('connected', wait);
    receiver.post({ type: 'start' });
    await receiver.next('sampling', wait);
    sender.post({ type: 'go' });
    const done = await sender.next<FloodDone>('done', wait);
    receiver.post({ type: 'report' });
    const report = await receiver.next<FloodReport>('report', wait);
    const baseline = report.before.rss;
    const half = (p.seconds * 1000) / 2;
    const peakOf = (samples: [number, number][]): number =>
      Math.max(...samples.map(([, rss]) => rss));
    const first = report.samples.filter(([t]) => t < half);
    const second = report.samples.filter(([t]) => t >= half);
    const heldBytes =
      report.after.heapUsed +
      report.after.external -
      report.before.heapUsed -
      report.before.external;
    return {
      report,
      done,
      metrics: {
        peak: (peakOf(report.samples) - baseline) / MiB,
        drift: (peakOf(second) - peakOf(first)) / MiB,
        held: heldBytes / MiB,
      },
    };
  } finally {
    await Promise.all([receiver.close(), sender?.close()]);
  }
}

/** What the trial around each receiver does, the same for both contenders. */
const floodNote = (sends: string): string =>
  'the receiver runs in a fresh process and samples its RSS every 20 ms; the sender, the same ' +
  `for both contenders, is a raw Node.js process: ${sends}`;
const UDP_SENDS = floodNote('`send(payload, callback)` on a connected socket, 64 outstanding');
const TCP_SENDS = floodNote("`write(chunk)`, awaiting 'drain' until the time is up");

/**
 * A UDP socket flooded while nobody receives from it: dsock holds at most its receive queue
 * limit of datagrams and drops the rest; raw node:dgram holds nothing (it can only hand each
 * datagram to a listener, which here discards it).
 */
export const udpFloodMemory: Scenario<FloodScenarioParams> = {
  id: 'udp-flood-memory',
  title: 'UDP receiver memory under a flood nobody reads',
  params: floodParams(1024),
  maxRounds: { quick: 1, full: 3 },
  describe: (p) =>
    `a sender process floods ${p.size}-byte datagrams for ${p.seconds} s (at most ${p.window} ` +
    'sends outstanding) at a receiver process that never reads them; RSS growth over the ' +
    'settled baseline, sampled every 20 ms',
  roles: ['receiver', 'sender'],
  metrics: [
    ...FLOOD_MEMORY_METRICS,
    {
      key: 'arrived',
      label: 'arrived at the process/s',
      unit: 'datagrams/s',
      better: 'higher',
      ratio: true,
      digits: 0,
    },
    {
      key: 'dropped',
      label: 'dropped by the receive queue',
      unit: 'datagrams',
      better: 'lower',
      ratio: false,
      digits: 0,
    },
    {
      key: 'sent',
      label: 'sent/s',
      unit: 'datagrams/s',
      better: 'higher',
      ratio: true,
      digits: 0,
    },
  ],
  contenders: [
    {
      id: 'node:dgram',
      label: 'raw node:dgram',
      peers: {},
      note:
        "receiver: `createSocket('udp4')`, `bind(0, host)` and an `on('message')` listener that " +
        'only counts: node:dgram cannot hold datagrams for a later read, so an application ' +
        `that does not want them yet must drop them (or queue them itself); ${UDP_SENDS}`,
    },
    {
      id: 'dsock',
      label: 'dsock DatagramSocket',
      peers: {},
      note:
        '`DatagramSocket.bind()` with default options (receive queue limit 1,024 datagrams) ' +
        `and no receive call; ${UDP_SENDS}`,
    },
  ],
  async trial(contender, p, context) {
    const { report, done, metrics } = await floodTrial('udp', contender, p, context);
    return {
      ...metrics,
      arrived: (report.arrived ?? NaN) / done.seconds,
      dropped: report.dropped,
      sent: done.sent / done.seconds,
    };
  },
};

/**
 * A TCP connection flooded while nobody reads it: dsock's receive buffer fills to its limit,
 * then the socket stops reading and TCP flow control stops the sender; a paused raw net.Socket
 * stops at its stream's high-water mark.
 */
export const tcpFloodMemory: Scenario<FloodScenarioParams> = {
  id: 'tcp-flood-memory',
  title: 'TCP receiver memory under a flood nobody reads',
  params: floodParams(64 * KiB),
  maxRounds: { quick: 1, full: 3 },
  describe: (p) =>
    `a sender process writes ${p.size / KiB} KiB chunks as fast as the connection takes them ` +
    `for ${p.seconds} s to a receiver process that never reads; RSS growth over the settled ` +
    'baseline, sampled every 20 ms',
  roles: ['receiver', 'sender'],
  metrics: [
    ...FLOOD_MEMORY_METRICS,
    {
      key: 'sent',
      label: 'taken by the connection',
      unit: 'MiB',
      better: 'lower',
      ratio: false,
      digits: 1,
    },
  ],
  contenders: [
    {
      id: 'node:net',
      label: 'raw node:net, paused',
      peers: {},
      note:
        "receiver: `createServer(handler)`, the handler adds an `on('error')` listener and " +
        `calls \`socket.pause()\`; ${TCP_SENDS}`,
    },
    {
      id: 'dsock',
      label: 'dsock StreamSocket, not read',
      peers: {},
      note:
        '`StreamServer.listen()` and one `accept()` with default options (receive buffer ' +
        `limit 1 MiB), then no recv call; ${TCP_SENDS}`,
    },
  ],
  async trial(contender, p, context) {
    const { done, metrics } = await floodTrial('tcp', contender, p, context);
    return { ...metrics, sent: done.sent / MiB };
  },
};
