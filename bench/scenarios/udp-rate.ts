/**
 * Datagram rate: a fixed number of 64-byte datagrams from a sender thread to a receiver thread
 * over loopback UDP, at most `window` sends outstanding at a time (both contenders alike), to a
 * receiver with a 4 MiB SO_RCVBUF. The receiver counts until every datagram has arrived, or
 * until nothing more arrives after the sender is done; its rate is counted from its first
 * datagram to its last.
 */
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { DatagramSocket, SocketClosedError } from '../../src/index.js';
import { workerPeer } from '../lib/peer.js';
import type { PeerContext, PeerMessage } from '../lib/peer-protocol.js';
import { threadCpuMeter } from '../lib/thread-cpu.js';
import type { Mode, Scenario } from '../lib/scenario.js';

interface Params {
  count: number;
  size: number;
  window: number;
  recvBufferSize: number;
}

interface ReceiverParams {
  count: number;
  recvBufferSize: number;
}

interface SenderParams {
  port: number;
  count: number;
  size: number;
  window: number;
}

interface Ready extends PeerMessage {
  port: number;
}

interface Sent extends PeerMessage {
  startNs: bigint;
  endNs: bigint;
  cpuMs: number;
}

interface Received extends PeerMessage {
  received: number;
  /** Datagrams that reached the process but were dropped by the library's own queue. */
  queueDropped: number;
  bytes: number;
  firstNs: bigint;
  lastNs: bigint;
  cpuMs: number;
}

const HOST = '127.0.0.1';
/** How often the receiver looks for progress once the sender is done. */
const IDLE_TICK_MS = 20;

export const udpRate: Scenario<Params> = {
  id: 'udp-rate',
  title: '64-byte UDP datagram rate, one way',
  params: (mode: Mode) => ({
    count: mode === 'quick' ? 300_000 : 2_000_000,
    size: 64,
    window: 64,
    recvBufferSize: 4 * 1024 * 1024,
  }),
  describe: (p) =>
    `${p.count.toLocaleString('en-US')} datagrams of ${p.size} bytes, at most ${p.window} ` +
    `sends outstanding, receiver SO_RCVBUF ${p.recvBufferSize / 1024 / 1024} MiB; ` +
    'rate counted at the receiver from its first datagram to its last',
  roles: ['receiver', 'sender'],
  metrics: [
    {
      key: 'rate',
      label: 'received/s',
      unit: 'datagrams/s',
      better: 'higher',
      ratio: true,
      target: 0.9,
      digits: 0,
    },
    {
      key: 'loss',
      label: 'loss',
      unit: '%',
      better: 'lower',
      ratio: false,
      headline: true,
      digits: 2,
    },
    {
      key: 'queueDropped',
      label: 'dropped by receive queue',
      unit: 'datagrams',
      better: 'lower',
      ratio: false,
      digits: 0,
    },
    {
      key: 'sendRate',
      label: 'sent/s',
      unit: 'datagrams/s',
      better: 'higher',
      ratio: true,
      digits: 0,
    },
    {
      key: 'sendCpu',
      label: 'sender CPU per datagram',
      unit: 'µs',
      better: 'lower',
      ratio: true,
      digits: 2,
    },
    {
      key: 'recvCpu',
      label: 'receiver CPU per datagram',
      unit: 'µs',
      better: 'lower',
      ratio: true,
      digits: 2,
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
      note: "send(buf, port, host, callback) with a callback pump; on('message') counting",
    },
    {
      id: 'dsock',
      label: 'dsock DatagramSocket',
      peers: {
        receiver: workerPeer(import.meta.url, 'dsockReceiver'),
        sender: workerPeer(import.meta.url, 'dsockSender'),
      },
      note: '`window` async loops of `await sendTo(buf, endpoint)`; a loop of `await recvFrom()`',
    },
  ],
  async trial(contender, p, context) {
    const wait = context.messageTimeoutMs;
    const receiver = context.start('receiver', {
      count: p.count,
      recvBufferSize: p.recvBufferSize,
    });
    const { port } = await receiver.next<Ready>('ready', wait);
    const sender = context.start('sender', {
      port,
      count: p.count,
      size: p.size,
      window: p.window,
    });
    await sender.next('ready', wait);
    sender.post({ type: 'go' });
    const sent = await sender.next<Sent>('sent', wait);
    receiver.post({ type: 'sender-done' });
    const got = await receiver.next<Received>('result', wait);
    if (got.bytes !== got.received * p.size) {
      throw new Error(`${contender.id} received ${got.received} datagrams but ${got.bytes} bytes`);
    }
    const seconds = Number(got.lastNs - got.firstNs) / 1e9;
    return {
      rate: got.received > 1 && seconds > 0 ? got.received / seconds : NaN,
      loss: ((p.count - got.received) / p.count) * 100,
      queueDropped: got.queueDropped,
      sendRate: p.count / (Number(sent.endNs - sent.startNs) / 1e9),
      sendCpu: (sent.cpuMs * 1000) / p.count,
      recvCpu: got.received > 0 ? (got.cpuMs * 1000) / got.received : NaN,
    };
  },
};

/**
 * The receiving side common to both contenders: reports the result once `count` datagrams have
 * arrived, or once the coordinator has said the sender is done and a tick passes without any.
 */
class Tally {
  received = 0;
  bytes = 0;
  firstNs = 0n;
  #lastChangeNs = 0n;
  #timer: NodeJS.Timeout | undefined;
  #done = false;
  readonly #cpu = threadCpuMeter();

  constructor(
    private readonly context: PeerContext<ReceiverParams>,
    private readonly close: () => void,
    private readonly queueDropped: () => number = () => 0,
  ) {
    // A stop instead (the trial was abandoned) ends the count where it is.
    context.next('sender-done').then(
      () => this.#watchIdle(),
      () => this.#finish(process.hrtime.bigint()),
    );
  }

  /** Called when the last expected datagram has arrived (`count` reached). */
  complete(): void {
    this.#finish(process.hrtime.bigint());
  }

  #watchIdle(): void {
    if (this.#done) return;
    let seen = this.received;
    this.#lastChangeNs = process.hrtime.bigint();
    this.#timer = setInterval(() => {
      if (this.received !== seen) {
        seen = this.received;
        this.#lastChangeNs = process.hrtime.bigint();
      } else {
        this.#finish(this.#lastChangeNs);
      }
    }, IDLE_TICK_MS);
  }

  #finish(lastNs: bigint): void {
    if (this.#done) return;
    this.#done = true;
    clearInterval(this.#timer);
    const { received, bytes, firstNs } = this;
    const queueDropped = this.queueDropped();
    const cpuMs = this.#cpu();
    this.context.post({ type: 'result', received, bytes, queueDropped, firstNs, lastNs, cpuMs });
    this.close();
  }
}

export async function rawReceiver(context: PeerContext<ReceiverParams>): Promise<void> {
  const { count, recvBufferSize } = context.params;
  const socket = createSocket({ type: 'udp4', recvBufferSize });
  socket.bind(0, HOST);
  await once(socket, 'listening');
  const closed = once(socket, 'close');
  const tally = new Tally(context, () => socket.close());
  socket.on('message', (data: Buffer) => {
    if (tally.received === 0) tally.firstNs = process.hrtime.bigint();
    tally.received++;
    tally.bytes += data.length;
    if (tally.received === count) tally.complete();
  });
  context.post({ type: 'ready', port: socket.address().port });
  await closed;
}

export async function dsockReceiver(context: PeerContext<ReceiverParams>): Promise<void> {
  const { count, recvBufferSize } = context.params;
  const socket = await DatagramSocket.bind(`${HOST}:0`, { recvBufferSize });
  const tally = new Tally(
    context,
    () => void socket.close(),
    () => socket.stats.datagramsDropped,
  );
  context.post({ type: 'ready', port: socket.localEndpoint.port });
  try {
    while (tally.received < count) {
      const datagram = await socket.recvFrom();
      if (tally.received === 0) tally.firstNs = process.hrtime.bigint();
      tally.received++;
      tally.bytes += datagram.data.length;
    }
    tally.complete();
  } catch (error) {
    if (!(error instanceof SocketClosedError)) throw error;
  }
  await socket.close();
}

async function sendSide(
  context: PeerContext<SenderParams>,
  send: () => Promise<void>,
): Promise<void> {
  context.post({ type: 'ready' });
  await context.next('go');
  const cpu = threadCpuMeter();
  const startNs = process.hrtime.bigint();
  await send();
  const endNs = process.hrtime.bigint();
  context.post({ type: 'sent', startNs, endNs, cpuMs: cpu() });
}

export async function rawSender(context: PeerContext<SenderParams>): Promise<void> {
  const { port, count, size, window } = context.params;
  const socket: Socket = createSocket('udp4');
  socket.bind(0, HOST);
  await once(socket, 'listening');
  const payload = Buffer.alloc(size, 0x61);
  await sendSide(
    context,
    () =>
      new Promise<void>((resolve, reject) => {
        let started = 0;
        let finished = 0;
        const onSent = (error: Error | null): void => {
          if (error) return reject(error);
          finished++;
          if (started < count) {
            started++;
            socket.send(payload, port, HOST, onSent);
          } else if (finished === count) {
            resolve();
          }
        };
        for (; started < Math.min(window, count);) {
          started++;
          socket.send(payload, port, HOST, onSent);
        }
      }),
  );
  socket.close();
  await once(socket, 'close');
}

export async function dsockSender(context: PeerContext<SenderParams>): Promise<void> {
  const { port, count, size, window } = context.params;
  const socket = await DatagramSocket.bind(`${HOST}:0`);
  const payload = Buffer.alloc(size, 0x61);
  const to = { host: HOST, port };
  let started = 0;
  const lane = async (): Promise<void> => {
    while (started < count) {
      started++;
      await socket.sendTo(payload, to);
    }
  };
  await sendSide(context, () =>
    Promise.all(Array.from({ length: Math.min(window, count) }, lane)).then(() => undefined),
  );
  await socket.close();
}
