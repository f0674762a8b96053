/**
 * Group chat fan-out: one chat message in the course's format, sent by a sender thread to N
 * UDP peers (N sockets in a receiver thread), timed from just before the first send to the
 * moment the last peer has it. A harness datagram (the same for every contender, outside the
 * timed span) tells the sender that the repetition is over.
 */
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { once } from 'node:events';
import { DatagramSocket, formatChatMessage, type Endpoint } from '../../src/index.js';
import { UdpChatPeer } from '../../src/apps/udp-chat.js';
import { workerPeer, type PeerHandle } from '../lib/peer.js';
import { STOP, type PeerContext, type PeerMessage } from '../lib/peer-protocol.js';
import type { Contender, Metrics, MetricSpec, Mode, Scenario } from '../lib/scenario.js';
import { percentileOfSorted, sorted } from '../lib/stats.js';
import { threadCpuMeter } from '../lib/thread-cpu.js';

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

interface SenderParams {
  ports: readonly number[];
  message: string;
  text: string;
  name: string;
}

interface ReceiverReady extends PeerMessage {
  ports: number[];
}

interface SenderReady extends PeerMessage {
  ackPort: number;
}

/** Coordinator to receiver: count arrivals over the first `group` sockets. */
interface Arm extends PeerMessage {
  group: number;
  ackPort: number;
}

interface Block extends PeerMessage {
  group: number;
  repetitions: number;
  timed: boolean;
}

/** Sender to coordinator, after a block: the timed repetitions' latencies and the CPU spent. */
interface BlockDone extends PeerMessage {
  latencies: number[];
  cpuMs: number;
}

interface Usage extends PeerMessage {
  cpuMs: number;
}

const HOST = '127.0.0.1';
/** How long the sender waits for the word that every peer has a message before giving up. */
const ACK_TIMEOUT_MS = 5_000;

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
      targetFor: ['dsock'],
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
        receiver: workerPeer(import.meta.url, 'rawReceiver'),
        sender: workerPeer(import.meta.url, 'rawSender'),
      },
      note:
        'sender: `socket.send(message, port, address)` per peer, without callback; ' +
        "receivers: one socket each, on('message')",
    },
    {
      id: 'dsock',
      label: 'dsock DatagramSocket',
      peers: {
        receiver: workerPeer(import.meta.url, 'dsockReceiver'),
        sender: workerPeer(import.meta.url, 'dsockSender'),
      },
      note:
        'sender: `await Promise.all(peers.map((peer) => socket.sendTo(message, peer)))`; ' +
        'receivers: one socket each, `for await (const datagram of socket)`',
    },
    {
      id: 'dsock-chat',
      label: 'dsock UdpChatPeer',
      peers: {
        receiver: workerPeer(import.meta.url, 'chatReceiver'),
        sender: workerPeer(import.meta.url, 'chatSender'),
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

/**
 * The receiving side's harness, common to every contender: counts arrivals over the armed
 * group, and once all its peers have the message, notes the time and sends it to the sender
 * in a datagram of its own. The contender's sockets only call {@link Arrivals.arrived}.
 */
class Arrivals {
  readonly #control: DgramSocket;
  readonly #stamp = Buffer.alloc(8);
  #group = Infinity;
  #count = 0;
  #ackPort = 0;

  constructor(control: DgramSocket) {
    this.#control = control;
  }

  /** One peer socket has received the message. */
  readonly arrived = (): void => {
    if (++this.#count < this.#group) return;
    this.#stamp.writeBigUInt64BE(process.hrtime.bigint());
    this.#count = 0;
    this.#control.send(this.#stamp, this.#ackPort, HOST);
  };

  arm(group: number, ackPort: number): void {
    this.#group = group;
    this.#count = 0;
    this.#ackPort = ackPort;
  }
}

/**
 * The sending side's harness: hands out, per repetition, the time at which the last peer had
 * the message, as the receiver reports it.
 */
class Completions {
  #waiter: ((stamp: bigint) => void) | undefined;

  constructor(control: DgramSocket) {
    control.on('message', (stamp: Buffer) => {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter?.(stamp.readBigUInt64BE(0));
    });
  }

  /** The next completion; call it before sending, so that no timer is set inside the span. */
  next(): Promise<bigint> {
    return new Promise<bigint>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        reject(new Error(`not every peer received the message within ${ACK_TIMEOUT_MS} ms`));
      }, ACK_TIMEOUT_MS);
      this.#waiter = (stamp) => {
        clearTimeout(timer);
        resolve(stamp);
      };
    });
  }
}

async function boundDgram(): Promise<DgramSocket> {
  const socket = createSocket('udp4');
  socket.bind(0, HOST);
  await once(socket, 'listening');
  return socket;
}

/** The contender's receiving sockets, as the receiver protocol needs them. */
interface PeerSockets {
  ports: number[];
  close(): Promise<void>;
}

/**
 * The receiver's protocol: lets `open` bind the contender's peer sockets, each calling
 * `arrived` per message, reports their ports, and arms the count per block until told to stop.
 */
async function receiverSide(
  context: PeerContext<unknown>,
  open: (arrived: () => void) => Promise<PeerSockets>,
): Promise<void> {
  const control = await boundDgram();
  const arrivals = new Arrivals(control);
  const peers = await open(arrivals.arrived);
  try {
    context.post({ type: 'ready', ports: peers.ports });
    for (;;) {
      const message = await context.next<Arm>(['arm', STOP]);
      if (message.type === STOP) return;
      const cpu = threadCpuMeter();
      arrivals.arm(message.group, message.ackPort);
      context.post({ type: 'armed' });
      await context.next('disarm');
      context.post({ type: 'usage', cpuMs: cpu() });
    }
  } finally {
    await peers.close();
    control.close();
  }
}

/**
 * The sender's protocol: per block, makes the repetitions one at a time with `fanOut` (which
 * sends one message to the first `group` peers) and reports their latencies.
 */
async function senderSide(
  context: PeerContext<SenderParams>,
  fanOut: (group: number) => Promise<unknown> | void,
): Promise<void> {
  const control = await boundDgram();
  const completions = new Completions(control);
  try {
    context.post({ type: 'ready', ackPort: control.address().port });
    for (;;) {
      const block = await context.next<Block>(['block', STOP]);
      if (block.type === STOP) return;
      const cpu = threadCpuMeter();
      const latencies: number[] = [];
      for (let i = 0; i < block.repetitions; i++) {
        const completed = completions.next();
        const start = process.hrtime.bigint();
        const sending = fanOut(block.group);
        if (sending !== undefined) await sending;
        const last = await completed;
        if (block.timed) latencies.push(Number(last - start) / 1000);
      }
      context.post({ type: 'block-done', latencies, cpuMs: cpu() });
    }
  } finally {
    control.close();
  }
}

const GROUP_MAX = 100;

export function rawReceiver(context: PeerContext<unknown>): Promise<void> {
  return receiverSide(context, async (arrived) => {
    const sockets = await Promise.all(Array.from({ length: GROUP_MAX }, () => boundDgram()));
    for (const socket of sockets) socket.on('message', arrived);
    return {
      ports: sockets.map((socket) => socket.address().port),
      close: async () => {
        for (const socket of sockets) socket.close();
        await Promise.resolve();
      },
    };
  });
}

export async function rawSender(context: PeerContext<SenderParams>): Promise<void> {
  const { ports } = context.params;
  const socket = await boundDgram();
  const message = Buffer.from(context.params.message);
  try {
    await senderSide(context, (group) => {
      for (let i = 0; i < group; i++) socket.send(message, ports[i] as number, HOST);
    });
  } finally {
    socket.close();
  }
}

async function bindDsock(): Promise<DatagramSocket[]> {
  return Promise.all(Array.from({ length: GROUP_MAX }, () => DatagramSocket.bind(`${HOST}:0`)));
}

export function dsockReceiver(context: PeerContext<unknown>): Promise<void> {
  return receiverSide(context, async (arrived) => {
    const sockets = await bindDsock();
    const loops = sockets.map(async (socket) => {
      for await (const _datagram of socket) arrived();
    });
    return {
      ports: sockets.map((socket) => socket.localEndpoint.port),
      close: async () => {
        await Promise.all(sockets.map((socket) => socket.close()));
        await Promise.all(loops);
      },
    };
  });
}

function endpoints(ports: readonly number[]): Endpoint[] {
  return ports.map((port) => ({ host: HOST, port }));
}

export async function dsockSender(context: PeerContext<SenderParams>): Promise<void> {
  const peers = endpoints(context.params.ports);
  const groups = new Map<number, Endpoint[]>();
  const socket = await DatagramSocket.bind(`${HOST}:0`);
  const message = Buffer.from(context.params.message);
  try {
    await senderSide(context, (group) => {
      let members = groups.get(group);
      if (members === undefined) groups.set(group, (members = peers.slice(0, group)));
      return Promise.all(members.map((peer) => socket.sendTo(message, peer)));
    });
  } finally {
    await socket.close();
  }
}

export function chatReceiver(context: PeerContext<unknown>): Promise<void> {
  return receiverSide(context, async (arrived) => {
    const sockets = await bindDsock();
    const chats = sockets.map(
      (socket, i) =>
        new UdpChatPeer(socket, `peer${i}`, [], (event) => {
          if (event.type === 'message') arrived();
        }),
    );
    return {
      ports: sockets.map((socket) => socket.localEndpoint.port),
      close: async () => {
        await Promise.all(sockets.map((socket) => socket.close()));
        await Promise.all(chats.map((chat) => chat.leave()));
      },
    };
  });
}

export async function chatSender(context: PeerContext<SenderParams>): Promise<void> {
  const { text, name } = context.params;
  const peers = endpoints(context.params.ports);
  // One chat (and socket) per group size, each knowing its peers from the start.
  const chats = new Map<number, UdpChatPeer>();
  const sockets: DatagramSocket[] = [];
  try {
    await senderSide(context, async (group) => {
      let chat = chats.get(group);
      if (chat === undefined) {
        const socket = await DatagramSocket.bind(`${HOST}:0`);
        sockets.push(socket);
        chat = new UdpChatPeer(socket, name, peers.slice(0, group), () => undefined);
        chats.set(group, chat);
      }
      await chat.say(text);
    });
  } finally {
    await Promise.all(sockets.map((socket) => socket.close()));
    await Promise.all([...chats.values()].map((chat) => chat.leave()));
  }
}
