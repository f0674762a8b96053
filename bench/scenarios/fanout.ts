/**
 * Group chat fan-out: one chat message in the course's format, sent by a sender thread to N
 * UDP peers (N sockets in a receiver thread), timed from just before the first send to the
 * moment the last peer has it. A harness datagram (the same for every contender, outside the
 * timed span) tells the sender that the repetition is over. The harness is in
 * fanout/harness.ts, the contenders' code in fanout/peers.ts.
 */
import { formatChatMessage } from '../../src/index.js';
import {
  dsockDatagramLabel,
  TYPESCRIPT_PATH_ENV,
  TYPESCRIPT_PATH_LABEL,
} from '../lib/dsock-backend.js';
import { workerPeer, type PeerHandle } from '../lib/peer.js';
import type { Contender, Metrics, MetricSpec, Mode, Scenario } from '../lib/scenario.js';
import { percentileOfSorted, sorted } from '../lib/stats.js';
import type {
  BlockDone,
  ReceiverReady,
  SenderParams,
  SenderReady,
  Usage,
} from './fanout/harness.js';

interface Params {
  /** The group sizes measured, each its own set of metrics. */
  groups: readonly number[];
  warmup: number;
  repetitions: number;
  /** Repetitions one contender makes before the next one takes over. */
  block: number;
  text: string;
  name: string;
}

const PEERS = new URL('./fanout/peers.js', import.meta.url).href;

function latencyMetrics(group: number): MetricSpec[] {
  return [
    {
      key: `p50@${group}`,
      label: `p50, ${group} peers`,
      unit: 'µs',
      better: 'lower',
      ratio: true,
      // The latency standard of the project; the chat peer does more work than raw dgram
      // (it formats the message and parses it at every peer), so it is shown, not held to it.
      target: 1.1,
      targetFor: ['dsock', 'dsock-ts'],
      digits: 1,
    },
    {
      key: `p99@${group}`,
      label: `p99, ${group} peers`,
      unit: 'µs',
      better: 'lower',
      ratio: true,
      // Informative: with a few hundred repetitions per round, p99 is a handful of samples,
      // set by the shared machine's scheduling hiccups more than by the code.
      headline: true,
      digits: 1,
    },
  ];
}

export const fanout: Scenario<Params> = {
  id: 'fanout',
  title: 'Group chat fan-out over UDP',
  params: (mode: Mode) => ({
    groups: [10, 100],
    warmup: mode === 'quick' ? 100 : 200,
    repetitions: mode === 'quick' ? 500 : 2_000,
    block: 100,
    text: 'Has everyone read chapter 3 yet?',
    name: 'alice',
  }),
  describe: (p) =>
    `one chat message (\`[timestamp] ${p.name}:\\n\\t${p.text}\`, ` +
    `${Buffer.byteLength(formatChatMessage(p.text, p.name))} bytes) sent from one thread to ` +
    `${p.groups.join(' and ')} UDP sockets in another, timed from just before the first send ` +
    'until the last socket has received it; per group size ' +
    `${p.warmup.toLocaleString('en-US')} untimed then ` +
    `${p.repetitions.toLocaleString('en-US')} timed repetitions, one at a time, the ` +
    `contenders taking turns in blocks of ${p.block}`,
  roles: ['receiver', 'sender'],
  metrics: [
    ...latencyMetrics(10),
    ...latencyMetrics(100),
    {
      key: 'sendCpu@100',
      label: 'sender CPU per fan-out to 100',
      unit: 'µs',
      better: 'lower',
      ratio: true,
      digits: 1,
    },
    {
      key: 'recvCpu@100',
      label: 'receiver CPU per fan-out to 100',
      unit: 'µs',
      better: 'lower',
      ratio: true,
      digits: 1,
    },
  ],
  contenders: [
    {
      id: 'node:dgram',
      label: 'raw node:dgram',
      peers: {
        receiver: workerPeer(PEERS, 'rawReceiver'),
        sender: workerPeer(PEERS, 'rawSender'),
      },
      note:
        'sender: `socket.send(message, port, address)` per peer, without callback; ' +
        "receivers: one socket each, on('message')",
    },
    {
      id: 'dsock',
      get label(): string {
        return dsockDatagramLabel();
      },
      peers: {
        receiver: workerPeer(PEERS, 'dsockReceiver'),
        sender: workerPeer(PEERS, 'dsockSender'),
      },
      note:
        'sender: `await Promise.all(peers.map((peer) => socket.sendTo(message, peer)))`; ' +
        'receivers: one socket each, `for await (const datagram of socket)`',
    },
    {
      id: 'dsock-ts',
      label: TYPESCRIPT_PATH_LABEL,
      peers: {
        receiver: workerPeer(PEERS, 'dsockReceiver', TYPESCRIPT_PATH_ENV),
        sender: workerPeer(PEERS, 'dsockSender', TYPESCRIPT_PATH_ENV),
      },
      note: 'the same code as `dsock`, in workers with DSOCK_NATIVE=0: node:dgram underneath',
    },
    {
      id: 'dsock-chat',
      label: 'dsock UdpChatPeer',
      peers: {
        receiver: workerPeer(PEERS, 'chatReceiver'),
        sender: workerPeer(PEERS, 'chatSender'),
      },
      note:
        'sender: `await chat.say(text)` on a `UdpChatPeer` knowing the N peers (it formats ' +
        'the message with the current time, then sends it to every peer); receivers: one ' +
        "`UdpChatPeer` each, counting its 'message' events (each message parsed)",
    },
  ],
  async round(order, p, context) {
    const wait = context.messageTimeoutMs;
    const pairs: Pair[] = [];
    const message = formatChatMessage(p.text, p.name);
    for (const contender of order) {
      const receiver = context.start(contender, 'receiver', {});
      const { ports } = await receiver.next<ReceiverReady>('ready', wait);
      const params: SenderParams = { ports, message, text: p.text, name: p.name };
      const sender = context.start(contender, 'sender', params);
      const { ackPort } = await sender.next<SenderReady>('ready', wait);
      pairs.push({
        contender,
        receiver,
        sender,
        ackPort,
        latencies: new Map(),
        sendMs: 0,
        recvMs: 0,
      });
    }
    for (const group of p.groups) {
      const total = p.warmup + p.repetitions;
      for (let done = 0, block = 0; done < total; block++) {
        // A block never straddles the end of the warm-up, so that it is timed or not as a whole.
        const end = done < p.warmup ? p.warmup : total;
        const repetitions = Math.min(p.block, end - done);
        for (const pair of block % 2 === 0 ? pairs : [...pairs].reverse()) {
          const timed = done >= p.warmup;
          pair.receiver.post({ type: 'arm', group, ackPort: pair.ackPort });
          await pair.receiver.next('armed', wait);
          pair.sender.post({ type: 'block', group, repetitions, timed });
          const result = await pair.sender.next<BlockDone>('block-done', wait);
          pair.receiver.post({ type: 'disarm' });
          const usage = await pair.receiver.next<Usage>('usage', wait);
          if (!timed) continue;
          const list = pair.latencies.get(group) ?? [];
          list.push(...result.latencies);
          pair.latencies.set(group, list);
          if (group === 100) {
            pair.sendMs += result.cpuMs;
            pair.recvMs += usage.cpuMs;
          }
        }
        done += repetitions;
      }
    }
    const metrics: Record<string, Metrics> = {};
    for (const pair of pairs) {
      const values: Metrics = {};
      for (const [group, latencies] of pair.latencies) {
        const ordered = sorted(latencies);
        values[`p50@${group}`] = percentileOfSorted(ordered, 50);
        values[`p99@${group}`] = percentileOfSorted(ordered, 99);
      }
      values['sendCpu@100'] = (pair.sendMs * 1000) / p.repetitions;
      values['recvCpu@100'] = (pair.recvMs * 1000) / p.repetitions;
      metrics[pair.contender.id] = values;
    }
    return metrics;
  },
};

interface Pair {
  contender: Contender;
  receiver: PeerHandle;
  sender: PeerHandle;
  /** The sender's harness port, where the receiver reports each completed fan-out. */
  ackPort: number;
  /** Timed latencies in µs, by group size. */
  latencies: Map<number, number[]>;
  sendMs: number;
  recvMs: number;
}
