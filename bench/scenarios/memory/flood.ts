/**
 * A child process at one end of a flood, for the flood-memory scenarios: the receiver (dsock
 * or raw Node.js, UDP or TCP), which never reads what arrives and samples its own RSS, or the
 * sender (raw Node.js for every contender, so that each receiver faces the same flood), which
 * sends as fast as the system takes it for a fixed time.
 *
 * Run by the scenario as `node --expose-gc flood.js '<params as JSON>'`. The exchange: the
 * receiver says `ready` (its port); the sender says `connected`; the coordinator tells the
 * receiver `start` (it answers `sampling`), then the sender `go`; the sender says `done` after
 * the flood; the coordinator asks the receiver for its `report`.
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatagramSocket, StreamServer } from '../../../src/index.js';
import { childContext } from '../../lib/child-process.js';
import { listeningPort } from '../../lib/listening-port.js';
import { RssSampler, settledMemory, type MemoryFigures } from '../../lib/memory.js';
import { STOP, type PeerMessage } from '../../lib/peer-protocol.js';

/** What the scenario hands to each child. */
export interface FloodParams {
  role: 'receiver' | 'sender';
  protocol: 'udp' | 'tcp';
  /** The receiver's API. */
  api: 'dsock' | 'raw';
  /** Bytes per datagram (UDP) or per write (TCP). */
  size: number;
  /** How long the sender floods. */
  seconds: number;
  /** Sends outstanding at a time (UDP sender). */
  window: number;
  sampleIntervalMs: number;
  /** The receiver's port (sender). */
  port?: number;
}

/** What the receiver reports after the flood. */
export interface FloodReport extends PeerMessage {
  type: 'report';
  /** Settled before the flood and after it (with whatever the socket still holds). */
  before: MemoryFigures;
  after: MemoryFigures;
  /** RSS during the flood: [ms since `start`, bytes]. */
  samples: [number, number][];
  /** Datagrams that reached the process (UDP; not those the kernel dropped). */
  arrived?: number;
  /** Datagrams the receive queue dropped (dsock UDP). */
  dropped: number;
}

/** What the sender reports after the flood. */
export interface FloodDone extends PeerMessage {
  type: 'done';
  /** Datagrams or bytes the system took. */
  sent: number;
  seconds: number;
}

const HOST = '127.0.0.1';
const context = childContext<FloodParams>('flood');
const params = context.params;

/** A receiver: its port, and the counters it reports. */
interface Receiver {
  port: number;
  arrived(): number | undefined;
  dropped(): number;
}

async function dsockUdpReceiver(): Promise<Receiver> {
  // Default options: the receive queue limit under test is the default one.
  const socket = await DatagramSocket.bind(`${HOST}:0`);
  return {
    port: socket.localEndpoint.port,
    arrived: () => socket.stats.datagramsReceived,
    dropped: () => socket.stats.datagramsDropped,
  };
}

async function rawUdpReceiver(): Promise<Receiver> {
  // node:dgram has nothing to hold datagrams for a later read: each one is handed to the
  // 'message' listeners at once, and an application that is not ready for it can only
  // discard it (or keep it in a queue of its own).
  const socket = createSocket('udp4');
  let arrived = 0;
  socket.on('message', () => {
    arrived++;
  });
  socket.bind(0, HOST);
  await once(socket, 'listening');
  return { port: socket.address().port, arrived: () => arrived, dropped: () => 0 };
}

async function dsockTcpReceiver(): Promise<Receiver> {
  const server = await StreamServer.listen(`${HOST}:0`);
  // Accepted and never read: the receive buffer fills to its limit, then TCP stops the sender.
  void server.accept();
  return { port: server.localEndpoint.port, arrived: () => undefined, dropped: () => 0 };
}

async function rawTcpReceiver(): Promise<Receiver> {
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.pause();
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  return { port: listeningPort(server), arrived: () => undefined, dropped: () => 0 };
}

async function receiver(): Promise<void> {
  const { protocol, api } = params;
  const open =
    protocol === 'udp'
      ? api === 'dsock'
        ? dsockUdpReceiver
        : rawUdpReceiver
      : api === 'dsock'
        ? dsockTcpReceiver
        : rawTcpReceiver;
  const socket = await open();
  const before = await settledMemory();
  context.post({ type: 'ready', port: socket.port });
  await context.next('start');
  const sampler = new RssSampler(params.sampleIntervalMs);
  context.post({ type: 'sampling' });
  await context.next('report');
  const samples = sampler.stop();
  const arrived = socket.arrived();
  const dropped = socket.dropped();
  const after = await settledMemory();
  context.post({ type: 'report', before, after, samples, arrived, dropped } satisfies FloodReport);
}

async function udpSender(port: number): Promise<FloodDone> {
  const socket = createSocket('udp4');
  socket.connect(port, HOST);
  await once(socket, 'connect');
  const payload = Buffer.alloc(params.size, 0x61);
  const started = performance.now();
  const until = started + params.seconds * 1000;
  let sent = 0;
  let outstanding = 0;
  let wake: (() => void) | undefined;
  const onSent = (): void => {
    outstanding--;
    sent++;
    const waiter = wake;
    wake = undefined;
    waiter?.();
  };
  while (performance.now() < until) {
    while (outstanding < params.window) {
      outstanding++;
      socket.send(payload, onSent);
    }
    await new Promise<void>((resolve) => (wake = resolve));
  }
  while (outstanding > 0) await new Promise<void>((resolve) => (wake = resolve));
  const seconds = (performance.now() - started) / 1000;
  socket.close();
  return { type: 'done', sent, seconds };
}

async function tcpSender(socket: Socket): Promise<FloodDone> {
  const chunk = Buffer.alloc(params.size, 0x61);
  const started = performance.now();
  const until = started + params.seconds * 1000;
  let written = 0;
  while (performance.now() < until) {
    written += chunk.length;
    if (!socket.write(chunk)) {
      // Once the receiver's buffers are full, 'drain' never comes: the flood ends on time.
      const left = until - performance.now();
      if (left <= 0) break;
      const drained = once(socket, 'drain').then(() => true);
      if (!(await Promise.race([drained, sleep(left).then(() => false)]))) break;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return { type: 'done', sent: written - socket.writableLength, seconds };
}

async function sender(): Promise<void> {
  const port = params.port;
  if (port === undefined) throw new Error('the sender needs the receiver port');
  let socket: Socket | undefined;
  if (params.protocol === 'tcp') {
    socket = connect(port, HOST);
    socket.on('error', () => undefined);
    await once(socket, 'connect');
  }
  context.post({ type: 'connected' });
  await context.next('go');
  const done = socket === undefined ? await udpSender(port) : await tcpSender(socket);
  context.post(done);
}

if (params.role === 'receiver') await receiver();
else await sender();
await context.next(STOP);
process.exit(0);
