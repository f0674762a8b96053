/**
 * TCP bulk transfer: bytes from a sender process to a receiver process over one loopback
 * connection per contender, written in 64 KiB chunks and sent in blocks taken in turns; the
 * receiver consumes every chunk, and its throughput is counted from the first byte of a block
 * to the last. The receiver listens, but for two contenders with the ends swapped (the sender
 * listens, the receiver connects): dsock's receiver reading with `recvInto` into one buffer of
 * its own, and Python's receiver doing the same with `recv_into`, the figure it is held against.
 *
 * Every end runs as a process of its own, the Node.js ones included (lib/peer-process.ts): the
 * contenders in other languages always did, and a Node.js end run as a worker thread of the
 * coordinator shares that process's unpinned main thread and helper threads (garbage
 * collection, compilation) with every other Node.js end, while a process is pinned whole to its
 * end's CPU. Every contender is now placed alike.
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { StreamServer, StreamSocket } from '../../src/index.js';
import { bunContender } from '../lib/bun-contender.js';
import { listeningPort } from '../lib/listening-port.js';
import { processPeer } from '../lib/peer.js';
import { nativeContender, pythonContender } from '../lib/process-contenders.js';
import type { PeerContext } from '../lib/peer-protocol.js';
import type { Contender, Metrics, Mode, Scenario } from '../lib/scenario.js';
import { BlockCounter, receiveBlocks, sendBlocks, transferRound } from '../lib/transfer.js';

interface Params {
  /** Bytes per block, and blocks per contender and round. */
  block: number;
  blocks: number;
  /** Blocks per contender and round sent first and not counted (see TransferPlan). */
  warmupBlocks: number;
  chunkSize: number;
}

interface SenderParams {
  port: number;
  chunkSize: number;
}

/** A sender that listens, for a receiver that connects. */
interface ListeningSenderParams {
  chunkSize: number;
}

/** A receiver that connects to a sender that listens. */
interface ConnectingReceiverParams {
  port: number;
  /** The size of the buffer it reads into. */
  readSize: number;
}

const HOST = '127.0.0.1';
const MiB = 1024 * 1024;

/**
 * The contenders whose receiver connects and whose sender listens, as a client that downloads
 * does.
 */
const DSOCK_CONNECTING = 'dsock-connect';

/** dsock's recv(65536) loop receiving from raw node:net's sender. */
const RECV_LOOP = 'dsock-recv-raw';
const PYTHON_CONNECTING = 'python-connect';

/** The same Python program with the ends swapped: the sender listens, the receiver connects. */
function pythonConnectingReceiver(): Contender {
  const python = pythonContender('tcp_bulk.py', { roles: ['receiver', 'sender'], note: '' });
  return {
    id: PYTHON_CONNECTING,
    get label(): string {
      return `${python.label}, connecting receiver`;
    },
    peers: python.peers,
    note:
      'as `python`, the ends swapped: the sender listens and `accept`s, the receiver ' +
      '`socket.create_connection`s and loops on `recv_into` a 64 KiB buffer',
    unavailable: () => python.unavailable?.(),
  };
}

export const tcpBulk: Scenario<Params> = {
  id: 'tcp-bulk',
  title: 'TCP bulk transfer, one way',
  params: (mode: Mode) => ({
    block: 64 * MiB,
    blocks: mode === 'quick' ? 8 : 16,
    warmupBlocks: 1,
    chunkSize: 64 * 1024,
  }),
  describe: (p) =>
    `${(p.block * p.blocks) / MiB} MiB per contender and round over one loopback connection, ` +
    `written in ${p.chunkSize / 1024} KiB chunks, in blocks of ${p.block / MiB} MiB taken in ` +
    `turns, after ${p.warmupBlocks} block per contender not counted (every end is a fresh ` +
    'process each round: its code warms up and its connection grows its buffers); throughput ' +
    'counted at the receiver from the first byte of a block to the last; ' +
    `the receiver listens, but for ${DSOCK_CONNECTING} and ${PYTHON_CONNECTING}, which connect ` +
    'to a listening sender; every end of every contender is a process of its own (Node.js ' +
    'ends too, rather than worker threads of the coordinator), pinned whole as the placement ' +
    'says, helper threads and all',
  roles: ['receiver', 'sender'],
  metrics: [
    {
      key: 'throughput',
      label: 'throughput',
      unit: 'MiB/s',
      better: 'higher',
      ratio: true,
      target: 0.9,
      targetFor: ['dsock', 'dsock-recv'],
      digits: 0,
    },
    {
      // The receiving side alone: dsock's recv(65536) loop and raw node:net's 'data' handler,
      // both fed by raw node:net's sender, where dsock is to cost nothing.
      key: 'throughputRecvLoop',
      label: "throughput, recv(65536) loop against a raw 'data' handler",
      unit: 'MiB/s',
      better: 'higher',
      ratio: true,
      ratioFor: [RECV_LOOP],
      target: 1,
      targetFor: [RECV_LOOP],
      digits: 0,
    },
    {
      // The same figure with the ends swapped, dsock's receiver reading into a buffer of its
      // own, held against Python's receiver in the same role.
      key: 'throughputVsPython',
      label: 'throughput, connecting receiver, against Python',
      unit: 'MiB/s',
      better: 'higher',
      ratio: true,
      against: PYTHON_CONNECTING,
      ratioFor: [DSOCK_CONNECTING],
      target: 1,
      targetFor: [DSOCK_CONNECTING],
      headline: true,
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
        receiver: processPeer(import.meta.url, 'rawReceiver'),
        sender: processPeer(import.meta.url, 'rawSender'),
      },
      note: "write(chunk), awaiting 'drain' when it returns false; on('data') counting",
    },
    // Next to the baseline it is held against, so that in every pass of a round the two
    // blocks compared are taken one right after the other, under the same load.
    {
      id: RECV_LOOP,
      label: 'dsock recv loop, raw sender',
      peers: {
        receiver: processPeer(import.meta.url, 'dsockRecvReceiver'),
        sender: processPeer(import.meta.url, 'rawSender'),
      },
      note:
        "the raw contender's sender (`write(chunk)`, awaiting 'drain'); the receiver loops on " +
        '`await recv(65536)` until end of stream: the receiving side alone against raw `node:net`',
    },
    {
      id: 'dsock',
      label: 'dsock StreamSocket, for await',
      peers: {
        receiver: processPeer(import.meta.url, 'dsockIterateReceiver'),
        sender: processPeer(import.meta.url, 'dsockSender'),
      },
      note: '`await sendAll(chunk)`; the receiver iterates: `for await (const chunk of socket)`',
    },
    {
      id: 'dsock-recv',
      label: 'dsock StreamSocket, recv loop',
      peers: {
        receiver: processPeer(import.meta.url, 'dsockRecvReceiver'),
        sender: processPeer(import.meta.url, 'dsockSender'),
      },
      note: '`await sendAll(chunk)`; the receiver loops on `await recv(65536)` until end of stream',
    },
    pythonContender('tcp_bulk.py', {
      roles: ['receiver', 'sender'],
      note:
        '`sock.sendall(chunk)` per 64 KiB chunk; the receiver loops on `conn.recv_into(buffer)` ' +
        'with a 64 KiB buffer; blocking sockets, one process per end',
    }),
    {
      id: DSOCK_CONNECTING,
      label: 'dsock connecting receiver, recvInto',
      peers: {
        receiver: processPeer(import.meta.url, 'dsockConnectingReceiver'),
        sender: processPeer(import.meta.url, 'dsockListeningSender'),
      },
      note:
        'the ends swapped: the sender listens (`StreamServer.accept`, `await sendAll(chunk)`), ' +
        'the receiver connects (`StreamSocket.connect(ep)`) and loops on ' +
        '`await recvInto(buffer)` with one 64 KiB buffer',
    },
    pythonConnectingReceiver(),
    nativeContender('tcp-bulk', 'send/recv of 1 MiB', {
      roles: ['receiver', 'sender'],
      note:
        'blocking `send(fd, buf, 1 MiB)` until the block is sent; the receiver loops on ' +
        'blocking `recv(fd, buf, 1 MiB)`; one process per end',
    }),
    bunContender({
      module: 'tcp-bulk',
      peers: { receiver: 'receiver', sender: 'sender' },
      api: 'Bun.listen/Bun.connect',
      note:
        '`socket.write(chunk)` per 64 KiB chunk; on a short write, the rest once the `drain` ' +
        'handler is called; the receiver (`Bun.listen`) counts in its `data` handler; one ' +
        'process per end',
    }),
  ],
  async round(order, p, context) {
    const totals = await transferRound(
      order,
      {
        block: p.block,
        blocks: p.blocks,
        warmupBlocks: p.warmupBlocks,
        receiverParams: {},
        senderParams: (port) => ({ port, chunkSize: p.chunkSize }) satisfies SenderParams,
        senderListens: {
          contenders: [DSOCK_CONNECTING, PYTHON_CONNECTING],
          senderParams: { chunkSize: p.chunkSize } satisfies ListeningSenderParams,
          receiverParams: (port) =>
            ({ port, readSize: p.chunkSize }) satisfies ConnectingReceiverParams,
        },
      },
      context,
    );
    const metrics: Record<string, Metrics> = {};
    for (const [id, t] of totals) {
      if (t.received !== t.sent) throw new Error(`${id} received ${t.received} of ${t.sent} bytes`);
      const mebibytes = t.received / MiB;
      metrics[id] = {
        throughput: mebibytes / t.receiveSeconds,
        sendCpu: (t.senderCpuMs * 1000) / mebibytes,
        recvCpu: (t.receiverCpuMs * 1000) / mebibytes,
      };
    }
    for (const id of [RECV_LOOP, 'node:net']) {
      const m = metrics[id];
      if (m !== undefined) m.throughputRecvLoop = m.throughput ?? 0;
    }
    for (const id of [DSOCK_CONNECTING, PYTHON_CONNECTING]) {
      const m = metrics[id];
      if (m !== undefined) m.throughputVsPython = m.throughput ?? 0;
    }
    return metrics;
  },
};

export async function rawReceiver(context: PeerContext<unknown>): Promise<void> {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, 'listening');
  const counter = new BlockCounter();
  let connection: Socket | undefined;
  server.once('connection', (socket: Socket) => {
    connection = socket;
    server.close();
    socket.on('data', (chunk: Buffer) => counter.add(chunk.length));
    socket.on('error', () => socket.destroy());
  });
  await receiveBlocks(context, listeningPort(server), counter);
  server.close();
  connection?.destroy();
}

async function dsockReceive(
  context: PeerContext<unknown>,
  consume: (socket: StreamSocket, counter: BlockCounter) => Promise<void>,
): Promise<void> {
  const server = await StreamServer.listen(`${HOST}:0`);
  const counter = new BlockCounter();
  let connection: StreamSocket | undefined;
  const receiving = (async () => {
    connection = await server.accept();
    await server.close();
    await consume(connection, counter);
  })();
  await receiveBlocks(context, server.localEndpoint.port, counter);
  await server.close();
  await connection?.close();
  await receiving.catch(() => undefined);
}

export function dsockIterateReceiver(context: PeerContext<unknown>): Promise<void> {
  return dsockReceive(context, async (socket, counter) => {
    for await (const chunk of socket) counter.add(chunk.length);
  });
}

export function dsockRecvReceiver(context: PeerContext<unknown>): Promise<void> {
  return dsockReceive(context, async (socket, counter) => {
    for (;;) {
      const chunk = await socket.recv(65536);
      if (chunk.length === 0) return;
      counter.add(chunk.length);
    }
  });
}

/**
 * The receiver that connects, reading with `recvInto` into one 64 KiB buffer of its own, as
 * Python's receiver does with `recv_into`.
 */
export async function dsockConnectingReceiver(
  context: PeerContext<ConnectingReceiverParams>,
): Promise<void> {
  const { port, readSize } = context.params;
  const socket = await StreamSocket.connect({ host: HOST, port });
  const counter = new BlockCounter();
  const receiving = (async () => {
    const buffer = Buffer.alloc(readSize);
    for (let n; (n = await socket.recvInto(buffer)) > 0;) counter.add(n);
  })();
  try {
    await receiveBlocks(context, undefined, counter);
  } finally {
    await socket.close();
    await receiving.catch(() => undefined);
  }
}

export async function rawSender(context: PeerContext<SenderParams>): Promise<void> {
  const { port, chunkSize } = context.params;
  const socket = connect(port, HOST);
  await once(socket, 'connect');
  const chunk = Buffer.alloc(chunkSize, 0x61);
  await sendBlocks(context, async (total) => {
    for (let sent = 0; sent < total;) {
      const length = Math.min(chunkSize, total - sent);
      sent += length;
      if (!socket.write(length === chunkSize ? chunk : chunk.subarray(0, length))) {
        await once(socket, 'drain');
      }
    }
  });
  socket.destroy();
}

export async function dsockSender(context: PeerContext<SenderParams>): Promise<void> {
  const { port, chunkSize } = context.params;
  const socket = await StreamSocket.connect({ host: HOST, port });
  const chunk = Buffer.alloc(chunkSize, 0x61);
  try {
    await sendBlocks(context, async (total) => {
      for (let sent = 0; sent < total;) {
        const length = Math.min(chunkSize, total - sent);
        sent += length;
        await socket.sendAll(length === chunkSize ? chunk : chunk.subarray(0, length));
      }
    });
  } finally {
    await socket.close();
  }
}

/** dsock's sender on the listening end: accepts the receiver's connection, then as `dsockSender`. */
export async function dsockListeningSender(
  context: PeerContext<ListeningSenderParams>,
): Promise<void> {
  const { chunkSize } = context.params;
  const server = await StreamServer.listen(`${HOST}:0`);
  // The receiver connects only once this sender has said where it listens.
  const accepted = server.accept();
  accepted.catch(() => undefined);
  const chunk = Buffer.alloc(chunkSize, 0x61);
  let socket: StreamSocket | undefined;
  try {
    await sendBlocks(
      context,
      async (total) => {
        if (socket === undefined) {
          socket = await accepted;
          await server.close();
        }
        for (let sent = 0; sent < total;) {
          const length = Math.min(chunkSize, total - sent);
          sent += length;
          await socket.sendAll(length === chunkSize ? chunk : chunk.subarray(0, length));
        }
      },
      server.localEndpoint.port,
    );
  } finally {
    await server.close();
    await socket?.close();
  }
}
