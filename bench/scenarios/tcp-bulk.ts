/**
 * TCP bulk transfer: a fixed number of bytes from a sender thread to a receiver thread over one
 * loopback connection, written in 64 KiB chunks; the receiver consumes every chunk and its
 * throughput is counted from the first byte received to the last.
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { StreamServer, StreamSocket } from '../../src/index.js';
import { listeningPort } from '../lib/listening-port.js';
import { workerPeer } from '../lib/peer.js';
import type { PeerContext, PeerMessage } from '../lib/peer-protocol.js';
import { threadCpuMeter } from '../lib/thread-cpu.js';
import type { Mode, Scenario } from '../lib/scenario.js';

interface Params {
  total: number;
  chunkSize: number;
}

interface ReceiverParams {
  total: number;
}

interface SenderParams {
  port: number;
  total: number;
  chunkSize: number;
}

interface Ready extends PeerMessage {
  port: number;
}

interface Received extends PeerMessage {
  bytes: number;
  firstNs: bigint;
  lastNs: bigint;
  cpuMs: number;
}

interface Sent extends PeerMessage {
  cpuMs: number;
}

const HOST = '127.0.0.1';
const MiB = 1024 * 1024;

export const tcpBulk: Scenario<Params> = {
  id: 'tcp-bulk',
  title: 'TCP bulk transfer, one way',
  params: (mode: Mode) => ({
    total: mode === 'quick' ? 512 * MiB : 1024 * MiB,
    chunkSize: 64 * 1024,
  }),
  describe: (p) =>
    `${p.total / MiB} MiB over one loopback connection, written in ${p.chunkSize / 1024} KiB ` +
    'chunks; throughput counted at the receiver from the first byte to the last',
  roles: ['receiver', 'sender'],
  metrics: [
    {
      key: 'throughput',
      label: 'throughput',
      unit: 'MiB/s',
      better: 'higher',
      ratio: true,
      target: 0.9,
      digits: 0,
    },
    {
      key: 'sendCpu',
      label: 'sender CPU per MiB',
      unit: 'µs',
      better: 'lower',
      ratio: true,
      digits: 0,
    },
    {
      key: 'recvCpu',
      label: 'receiver CPU per MiB',
      unit: 'µs',
      better: 'lower',
      ratio: true,
      digits: 0,
    },
  ],
  contenders: [
    {
      id: 'node:net',
      label: 'raw node:net',
      peers: {
        receiver: workerPeer(import.meta.url, 'rawReceiver'),
        sender: workerPeer(import.meta.url, 'rawSender'),
      },
      note: "write(chunk), awaiting 'drain' when it returns false; on('data') counting",
    },
    {
      id: 'dsock',
      label: 'dsock StreamSocket, for await',
      peers: {
        receiver: workerPeer(import.meta.url, 'dsockIterateReceiver'),
        sender: workerPeer(import.meta.url, 'dsockSender'),
      },
      note: '`await sendAll(chunk)`; the receiver iterates: `for await (const chunk of socket)`',
    },
    {
      id: 'dsock-recv',
      label: 'dsock StreamSocket, recv loop',
      peers: {
        receiver: workerPeer(import.meta.url, 'dsockRecvReceiver'),
        sender: workerPeer(import.meta.url, 'dsockSender'),
      },
      note: '`await sendAll(chunk)`; the receiver loops on `await recv(65536)` until end of stream',
    },
  ],
  async trial(contender, p, context) {
    const wait = context.messageTimeoutMs;
    const receiver = context.start('receiver', { total: p.total });
    const { port } = await receiver.next<Ready>('ready', wait);
    const sender = context.start('sender', { port, total: p.total, chunkSize: p.chunkSize });
    await sender.next('ready', wait);
    sender.post({ type: 'go' });
    const sent = await sender.next<Sent>('sent', wait);
    const got = await receiver.next<Received>('result', wait);
    if (got.bytes !== p.total) {
      throw new Error(`${contender.id} received ${got.bytes} of ${p.total} bytes`);
    }
    const mebibytes = p.total / MiB;
    return {
      throughput: mebibytes / (Number(got.lastNs - got.firstNs) / 1e9),
      sendCpu: (sent.cpuMs * 1000) / mebibytes,
      recvCpu: (got.cpuMs * 1000) / mebibytes,
    };
  },
};

/** Counts received bytes and notes when the first and the last expected one arrived. */
class Tally {
  bytes = 0;
  firstNs = 0n;
  lastNs = 0n;
  readonly #cpu = threadCpuMeter();

  constructor(private readonly total: number) {}

  add(length: number): void {
    if (this.bytes === 0) this.firstNs = process.hrtime.bigint();
    this.bytes += length;
    if (this.bytes >= this.total && this.lastNs === 0n) this.lastNs = process.hrtime.bigint();
  }

  result(): Received {
    const { bytes, firstNs, lastNs } = this;
    return { type: 'result', bytes, firstNs, lastNs, cpuMs: this.#cpu() };
  }
}

export async function rawReceiver(context: PeerContext<ReceiverParams>): Promise<void> {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, 'listening');
  context.post({ type: 'ready', port: listeningPort(server) });
  const [socket] = (await once(server, 'connection')) as [Socket];
  server.close();
  const tally = new Tally(context.params.total);
  socket.on('data', (chunk: Buffer) => tally.add(chunk.length));
  await once(socket, 'end');
  context.post(tally.result());
  socket.destroy();
}

async function dsockReceive(
  context: PeerContext<ReceiverParams>,
  consume: (socket: StreamSocket, tally: Tally) => Promise<void>,
): Promise<void> {
  const server = await StreamServer.listen(`${HOST}:0`);
  context.post({ type: 'ready', port: server.localEndpoint.port });
  const socket = await server.accept();
  await server.close();
  const tally = new Tally(context.params.total);
  try {
    await consume(socket, tally);
    context.post(tally.result());
  } finally {
    await socket.close();
  }
}

export function dsockIterateReceiver(context: PeerContext<ReceiverParams>): Promise<void> {
  return dsockReceive(context, async (socket, tally) => {
    for await (const chunk of socket) tally.add(chunk.length);
  });
}

export function dsockRecvReceiver(context: PeerContext<ReceiverParams>): Promise<void> {
  return dsockReceive(context, async (socket, tally) => {
    for (;;) {
      const chunk = await socket.recv(65536);
      if (chunk.length === 0) return;
      tally.add(chunk.length);
    }
  });
}

export async function rawSender(context: PeerContext<SenderParams>): Promise<void> {
  const { port, total, chunkSize } = context.params;
  const socket = connect(port, HOST);
  await once(socket, 'connect');
  const chunk = Buffer.alloc(chunkSize, 0x61);
  context.post({ type: 'ready' });
  await context.next('go');
  const cpu = threadCpuMeter();
  for (let sent = 0; sent < total;) {
    const length = Math.min(chunkSize, total - sent);
    sent += length;
    if (!socket.write(length === chunkSize ? chunk : chunk.subarray(0, length))) {
      await once(socket, 'drain');
    }
  }
  socket.end();
  context.post({ type: 'sent', cpuMs: cpu() });
  // Closing before the receiver has everything could cut the transfer short.
  await context.next('stop');
  socket.destroy();
}

export async function dsockSender(context: PeerContext<SenderParams>): Promise<void> {
  const { port, total, chunkSize } = context.params;
  const socket = await StreamSocket.connect({ host: HOST, port });
  const chunk = Buffer.alloc(chunkSize, 0x61);
  context.post({ type: 'ready' });
  await context.next('go');
  try {
    const cpu = threadCpuMeter();
    for (let sent = 0; sent < total;) {
      const length = Math.min(chunkSize, total - sent);
      sent += length;
      await socket.sendAll(length === chunkSize ? chunk : chunk.subarray(0, length));
    }
    await socket.shutdown('write');
    context.post({ type: 'sent', cpuMs: cpu() });
    await context.next('stop');
  } finally {
    await socket.close();
  }
}
