/**
 * Reliable datagrams: goodput through the chaos relay at 0% and 5% loss (both directions), 1 KiB
 * messages, for dsock's ReliableDatagramSocket (without and with a pre-shared key), uTP
 * (utp-native) and plain UDP as the baseline (whose losses stay losses: its delivered share is
 * part of the figure). Each trial runs the relay, the sender and the receiver in the
 * coordinator's thread, as the standalone bench/reliable-goodput.ts does, with the same runs
 * (bench/scenarios/reliable/); the contenders have no worker peers.
 */
import { generatePsk } from '../../src/index.js';
import type { Contender, Metrics, MetricSpec, Mode, Scenario } from '../lib/scenario.js';
import {
  type GoodputResult,
  type GoodputRunOptions,
  reliableRun,
  udpRun,
} from './reliable/runs.js';
import { loadUtpSync, utpRun } from './reliable/utp.js';

interface Params {
  messages: number;
  messageSize: number;
  /** The loss rates measured, each a goodput and a delivered share. */
  losses: readonly number[];
  /** Longest a reliable or uTP run may take, in ms; what arrived by then is what counts. */
  capMs: number;
}

/** The key of the `dsock-psk` contender, one per run. */
const PSK = generatePsk();

/** The relay's seed of a contender's first trial; each later trial takes the next one. */
const FIRST_SEED = 100;
const trialsSoFar = new Map<string, number>();

const percentKey = (loss: number): string => `${Math.round(loss * 100)}`;

function lossMetrics(loss: number, goodput: Partial<MetricSpec>): MetricSpec[] {
  const at = percentKey(loss);
  return [
    {
      key: `goodput@${at}`,
      label: `goodput, ${at}% loss`,
      unit: 'MB/s',
      better: 'higher',
      ratio: true,
      digits: 2,
      ...goodput,
    },
    {
      key: `delivered@${at}`,
      label: `delivered, ${at}% loss`,
      unit: '%',
      better: 'higher',
      ratio: false,
      headline: true,
      digits: 1,
    },
  ];
}

/** The goodput of `dsock-psk` at `loss` again, its ratio taken against `dsock` without the key. */
function pskMetric(loss: number, target: Partial<MetricSpec>): MetricSpec {
  const at = percentKey(loss);
  return {
    key: `pskGoodput@${at}`,
    label: `goodput, ${at}% loss, against dsock without the key`,
    unit: 'MB/s',
    better: 'higher',
    ratio: true,
    against: 'dsock',
    ratioFor: ['dsock-psk'],
    digits: 2,
    ...target,
  };
}

/** Why utp-native cannot run here, or undefined when it can. */
function utpMissing(): string | undefined {
  const utp = loadUtpSync();
  return typeof utp === 'string' ? utp : undefined;
}

function runOf(contender: Contender): (options: GoodputRunOptions) => Promise<GoodputResult> {
  if (contender.id === 'dsock') return reliableRun;
  if (contender.id === 'dsock-psk') return (options) => reliableRun({ ...options, psk: PSK });
  if (contender.id === 'udp') return udpRun;
  return (options) => {
    const utp = loadUtpSync();
    if (typeof utp === 'string') throw new Error(utp);
    return utpRun(utp, options);
  };
}

export const reliableGoodput: Scenario<Params> = {
  id: 'reliable-goodput',
  title: 'Reliable datagrams: goodput through the chaos relay',
  params: (mode: Mode) => ({
    messages: mode === 'quick' ? 5_000 : 100_000,
    messageSize: 1024,
    losses: [0, 0.05],
    capMs: mode === 'quick' ? 4_000 : 20_000,
  }),
  // uTP at 5% loss usually runs to the cap, which sets the time of a round.
  maxRounds: { quick: 2, full: 5 },
  describe: (p) =>
    `${p.messages.toLocaleString('en-US')} messages of ${p.messageSize} B sent through a ` +
    `ChaosRelay dropping ${p.losses.map((loss) => `${loss * 100}%`).join(', then ')} of the ` +
    'datagrams in both directions; relay, sender and receiver in one thread; goodput = payload ' +
    'bytes read by the receiving application / time from the first send (uTP: the connect) to ' +
    `the last byte read; a reliable or uTP run not done within ${p.capMs / 1000} s counts what ` +
    'arrived over the whole cap; plain UDP ends 300 ms after its last arrival',
  roles: ['receiver', 'sender'],
  metrics: [
    // Reliability costs at most a fifth of plain UDP's rate on a clean path.
    ...lossMetrics(0, { target: 0.8, targetFor: ['dsock'] }),
    // And on a lossy path it does at least as well as uTP.
    ...lossMetrics(0.05, { target: 1, against: 'utp', targetFor: ['dsock'] }),
    // Sealing every datagram under a pre-shared key costs at most a fifth of the goodput on a
    // clean path, where the sealing weighs most; at 5% loss the ratio is shown, not held.
    pskMetric(0, { target: 0.8, targetFor: ['dsock-psk'] }),
    pskMetric(0.05, {}),
  ],
  contenders: [
    {
      id: 'udp',
      label: 'plain UDP DatagramSocket',
      peers: {},
      note:
        'sender: `await socket.sendTo(payload, relay)` per message, yielding to the event loop ' +
        '(setImmediate) every 16 sends so that relay and receiver run; receiver: ' +
        '`await socket.recvFrom(65536, { timeout: 300 })` until 300 ms pass without a datagram; ' +
        'lost datagrams stay lost',
    },
    {
      id: 'dsock',
      label: 'dsock ReliableDatagramSocket',
      peers: {},
      note:
        'sender: `socket.sendTo(payload, relay)` for every message at once (the socket queues ' +
        'and paces them by its windows), then `await Promise.all(sends)`; receiver: ' +
        '`await socket.recvFrom()` until every message is in',
    },
    {
      id: 'dsock-psk',
      label: 'dsock ReliableDatagramSocket with a pre-shared key',
      peers: {},
      note:
        'as `dsock`, both sockets bound with `{ psk }` (a key from `generatePsk()`): every ' +
        'datagram, acknowledgements included, sealed with AES-256-GCM and opened on arrival',
    },
    {
      id: 'utp',
      label: 'uTP (utp-native)',
      peers: {},
      unavailable: utpMissing,
      note:
        'one connection, client `utp().connect(relayPort, relayHost)` (bound to loopback), ' +
        "messages written in order by `connection.write(payload)`, waiting for 'drain' when it " +
        "returns false; server `utp.createServer()`, counting the bytes of each 'data' event",
    },
  ],
  async trial(contender, p) {
    const done = trialsSoFar.get(contender.id) ?? 0;
    trialsSoFar.set(contender.id, done + 1);
    const run = runOf(contender);
    const expected = p.messages * p.messageSize;
    const metrics: Metrics = {};
    for (const loss of p.losses) {
      const result = await run({
        messages: p.messages,
        messageSize: p.messageSize,
        loss,
        seed: FIRST_SEED + done,
        capMs: p.capMs,
      });
      const at = percentKey(loss);
      metrics[`goodput@${at}`] = result.delivered / result.seconds / 1e6;
      // Only the two ends of the comparison carry the figure again.
      if (contender.id === 'dsock' || contender.id === 'dsock-psk') {
        metrics[`pskGoodput@${at}`] = metrics[`goodput@${at}`]!;
      }
      metrics[`delivered@${at}`] = (result.delivered / expected) * 100;
    }
    return metrics;
  },
};
