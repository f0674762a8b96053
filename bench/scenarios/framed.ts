/**
 * Framed small messages: 100-byte messages, each behind a 4-byte big-endian length prefix,
 * from a sender thread to a receiver thread over one loopback TCP connection per contender.
 * The receiver takes every message apart; the rate is counted from the sender's first write of
 * a block to the last message of the block received.
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { MessageStream, StreamServer, type StreamSocket } from '../../src/index.js';
import { listeningPort } from '../lib/listening-port.js';
import { workerPeer } from '../lib/peer.js';
import { STOP, type PeerContext, type PeerMessage } from '../lib/peer-protocol.js';
import type { PeerHandle } from '../lib/peer.js';
import type { Contender, Metrics, Mode, Scenario } from '../lib/scenario.js';
import { threadCpuMeter } from '../lib/thread-cpu.js';
import { sendBlocks, type Arm, type BlockSent } from '../lib/transfer.js';

interface Params {
  messageSize: number;
  /** Messages per block, timed blocks per contender and round, and the untimed first block. */
  block: number;
  blocks: number;
  warmup: number;
}

interface SenderParams {
  port: number;
  messageSize: number;
}

interface Ready extends PeerMessage {
  port: number;
}

/** Receiver to coordinator, once a block has all arrived. */
interface BlockParsed extends PeerMessage {
  count: number;
  bytes: number;
  lastNs: bigint;
  cpuMs: number;
}

const HOST = '127.0.0.1';
const PREFIX_SIZE = 4;
/** What the raw packing sender gathers per write, as dsock's FrameWriter does by default. */
const PACK_SIZE = 64 * 1024;

export const framed: Scenario<Params> = {
  id: 'framed',
  title: 'Framed 100-byte messages over TCP',
  params: (mode: Mode) => ({
    messageSize: 100,
    block: 250_000,
    blocks: mode === 'quick' ? 2 : 4,
    warmup: 50_000,
  }),
  describe: (p) =>
    `${(p.block * p.blocks).toLocaleString('en-US')} messages of ${p.messageSize} bytes per ` +
    `contender and round, each behind a ${PREFIX_SIZE}-byte big-endian length, over one ` +
    'loopback connection, each contender with its own default socket options (node:net ' +
    "with Nagle's algorithm on, dsock's MessageStream and ZeroMQ with it off), in blocks of " +
    `${p.block.toLocaleString('en-US')} taken in turns after an untimed block of ` +
    `${p.warmup.toLocaleString('en-US')}; every message is taken apart at the receiver, and ` +
    'the rate runs from the first write of a block to the last message received',
  roles: ['receiver', 'sender'],
  metrics: [
    {
      key: 'rate',
      label: 'messages/s',
      unit: 'M/s',
      better: 'higher',
      ratio: true,
      target: 3.5,
      targetFor: ['dsock'],
      digits: 2,
    },
    {
      // The same figure, held against zeromq.js: the second target for dsock.
      key: 'rateVsZeromq',
      label: 'messages/s, against zeromq',
      unit: 'M/s',
      better: 'higher',
      ratio: true,
      against: 'zeromq',
      target: 10,
      targetFor: ['dsock'],
      digits: 2,
    },
    {
      key: 'sendCpu',
      label: 'sender CPU per message',
      unit: 'ns',
      better: 'lower',
      ratio: true,
      digits: 0,
    },
    {
      key: 'recvCpu',
      label: 'receiver CPU per message',
      unit: 'ns',
      better: 'lower',
      ratio: true,
      digits: 0,
    },
  ],
  contenders: [
    {
      id: 'node:net',
      label: 'raw node:net, one write per message',
      peers: {
        receiver: workerPeer(import.meta.url, 'rawReceiver'),
        sender: workerPeer(import.meta.url, 'rawWriteSender'),
      },
      note:
        'sender: per message `Buffer.allocUnsafe(104)`, `writeUInt32BE`, copy, `socket.write(frame)`, ' +
        "awaiting 'drain' when it returns false; receiver: on('data') joins a partial frame " +
        'with the chunk (`Buffer.concat`) and cuts frames with `readUInt32BE` and `subarray`',
    },
    {
      id: 'node:net-packed',
      label: 'raw node:net, frames packed into 64 KiB writes',
      peers: {
        receiver: workerPeer(import.meta.url, 'rawReceiver'),
        sender: workerPeer(import.meta.url, 'rawPackedSender'),
      },
      note:
        'sender: frames written with `writeUInt32BE` and copy into a 64 KiB buffer, ' +
        "`socket.write(buffer)` when full, awaiting 'drain' when it returns false (batching " +
        'by hand); receiver: as `node:net`',
    },
    {
      id: 'dsock',
      label: 'dsock MessageStream',
      peers: {
        receiver: workerPeer(import.meta.url, 'dsockReceiver'),
        sender: workerPeer(import.meta.url, 'dsockSender'),
      },
      note:
        'sender: `MessageStream.connect`, then per message `stream.write(message)`, ' +
        '`await stream.drain()` only when it returns false, `await stream.flush()` at the end ' +
        'of a block; receiver: `new MessageStream(await server.accept())`, ' +
        '`for await (const message of stream)`',
    },
    {
      id: 'zeromq',
      label: 'zeromq.js PUSH/PULL',
      peers: {
        receiver: workerPeer(import.meta.url, 'zmqReceiver'),
        sender: workerPeer(import.meta.url, 'zmqSender'),
      },
      note:
        'sender: `Push`, per message `await push.send(message)`; receiver: `Pull`, `for await ' +
        '(const [message] of pull)`. ZeroMQ frames with its own prefix (1 byte for a short ' +
        'message) and does its socket work on its own I/O thread, whose CPU time the ' +
        'per-message CPU figures leave out',
    },
  ],
  async round(order, p, context) {
    const wait = context.messageTimeoutMs;
    const pairs: Pair[] = [];
    for (const contender of order) {
      const receiver = context.start(contender, 'receiver', {});
      let sender: PeerHandle;
      try {
        const { port } = await receiver.next<Ready>('ready', wait);
        const params: SenderParams = { port, messageSize: p.messageSize };
        sender = context.start(contender, 'sender', params);
        await sender.next('ready', wait);
      } catch (error) {
        // A contender that cannot start here (zeromq not installed) has no figures this
        // round; the others still run.
        process.stderr.write(`framed: ${contender.id} did not start: ${String(error)}\n`);
        continue;
      }
      pairs.push({
        contender,
        receiver,
        sender,
        count: 0,
        bytes: 0,
        seconds: 0,
        sendMs: 0,
        recvMs: 0,
      });
    }
    for (let block = -1; block < p.blocks; block++) {
      const amount = block < 0 ? p.warmup : p.block;
      for (const pair of block % 2 === 0 ? pairs : [...pairs].reverse()) {
        const { receiver, sender } = pair;
        receiver.post({ type: 'arm', target: amount });
        await receiver.next('armed', wait);
        sender.post({ type: 'send', amount });
        const sent = await sender.next<BlockSent>('sent', wait);
        const got = await receiver.next<BlockParsed>('block', wait);
        if (got.count !== amount || got.bytes !== amount * p.messageSize) {
          throw new Error(
            `${pair.contender.id} received ${got.count} messages (${got.bytes} bytes) of ${amount}`,
          );
        }
        if (block < 0) continue;
        pair.count += got.count;
        pair.seconds += Number(got.lastNs - sent.startNs) / 1e9;
        pair.sendMs += sent.cpuMs;
        pair.recvMs += got.cpuMs;
      }
    }
    const metrics: Record<string, Metrics> = {};
    for (const pair of pairs) {
      const rate = pair.count / pair.seconds / 1e6;
      metrics[pair.contender.id] = {
        rate,
        rateVsZeromq: rate,
        sendCpu: (pair.sendMs * 1e6) / pair.count,
        recvCpu: (pair.recvMs * 1e6) / pair.count,
      };
    }
    return metrics;
  },
};

interface Pair {
  contender: Contender;
  receiver: PeerHandle;
  sender: PeerHandle;
  count: number;
  bytes: number;
  seconds: number;
  sendMs: number;
  recvMs: number;
}

/**
 * The receiver's count of a block, fed once per message or per chunk: cheap enough for the
 * per-message path (no clock read but at the block's end).
 */
class MessageTally {
  count = 0;
  bytes = 0;
  lastNs = 0n;
  #target = Infinity;
  #reached: (() => void) | undefined;

  /** Counts `messages` that have just arrived, `bytes` long together. */
  add(messages: number, bytes: number): void {
    this.count += messages;
    this.bytes += bytes;
    if (this.count >= this.#target) {
      this.lastNs = process.hrtime.bigint();
      this.#target = Infinity;
      this.#reached?.();
    }
  }

  /** Starts a block of `target` messages; resolves when they have all arrived. */
  arm(target: number): Promise<void> {
    this.count = 0;
    this.bytes = 0;
    this.#target = target;
    return new Promise<void>((resolve) => (this.#reached = resolve));
  }
}

/** The receiver's side of the protocol, for every contender: per block, arm and report. */
async function receiveMessages(
  context: PeerContext<unknown>,
  port: number,
  tally: MessageTally,
): Promise<void> {
  context.post({ type: 'ready', port });
  for (;;) {
    const message = await context.next<Arm>(['arm', STOP]);
    if (message.type === STOP) return;
    const cpu = threadCpuMeter();
    const complete = tally.arm(message.target);
    context.post({ type: 'armed' });
    await complete;
    const { count, bytes, lastNs } = tally;
    context.post({ type: 'block', count, bytes, lastNs, cpuMs: cpu() });
  }
}

export async function rawReceiver(context: PeerContext<unknown>): Promise<void> {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, 'listening');
  const tally = new MessageTally();
  let connection: Socket | undefined;
  server.once('connection', (socket: Socket) => {
    connection = socket;
    server.close();
    let partial: Buffer | undefined;
    socket.on('data', (chunk: Buffer) => {
      const data = partial === undefined ? chunk : Buffer.concat([partial, chunk]);
      let pos = 0;
      let messages = 0;
      let bytes = 0;
      while (data.length - pos >= PREFIX_SIZE) {
        const length = data.readUInt32BE(pos);
        const end = pos + PREFIX_SIZE + length;
        if (end > data.length) break;
        const message = data.subarray(pos + PREFIX_SIZE, end);
        messages++;
        bytes += message.length;
        pos = end;
      }
      partial = pos === data.length ? undefined : data.subarray(pos);
      tally.add(messages, bytes);
    });
    socket.on('error', () => socket.destroy());
  });
  await receiveMessages(context, listeningPort(server), tally);
  server.close();
  connection?.destroy();
}

async function rawConnect(port: number): Promise<Socket> {
  const socket = connect(port, HOST);
  await once(socket, 'connect');
  return socket;
}

export async function rawWriteSender(context: PeerContext<SenderParams>): Promise<void> {
  const { port, messageSize } = context.params;
  const socket = await rawConnect(port);
  const message = Buffer.alloc(messageSize, 0x61);
  await sendBlocks(context, async (count) => {
    for (let i = 0; i < count; i++) {
      const frame = Buffer.allocUnsafe(PREFIX_SIZE + message.length);
      frame.writeUInt32BE(message.length, 0);
      message.copy(frame, PREFIX_SIZE);
      if (!socket.write(frame)) await once(socket, 'drain');
    }
  });
  socket.destroy();
}

export async function rawPackedSender(context: PeerContext<SenderParams>): Promise<void> {
  const { port, messageSize } = context.params;
  const socket = await rawConnect(port);
  const message = Buffer.alloc(messageSize, 0x61);
  await sendBlocks(context, async (count) => {
    let pack = Buffer.allocUnsafe(PACK_SIZE);
    let used = 0;
    for (let i = 0; i < count; i++) {
      if (used + PREFIX_SIZE + message.length > PACK_SIZE) {
        const full = socket.write(pack.subarray(0, used));
        pack = Buffer.allocUnsafe(PACK_SIZE);
        used = 0;
        if (!full) await once(socket, 'drain');
      }
      pack.writeUInt32BE(message.length, used);
      message.copy(pack, used + PREFIX_SIZE);
      used += PREFIX_SIZE + message.length;
    }
    if (used > 0 && !socket.write(pack.subarray(0, used))) await once(socket, 'drain');
  });
  socket.destroy();
}

export async function dsockReceiver(context: PeerContext<unknown>): Promise<void> {
  const server = await StreamServer.listen(`${HOST}:0`);
  const tally = new MessageTally();
  let connection: StreamSocket | undefined;
  const receiving = (async () => {
    connection = await server.accept();
    await server.close();
    const stream = new MessageStream(connection);
    for await (const message of stream) tally.add(1, message.length);
  })();
  await receiveMessages(context, server.localEndpoint.port, tally);
  await server.close();
  await connection?.close();
  await receiving.catch(() => undefined);
}

export async function dsockSender(context: PeerContext<SenderParams>): Promise<void> {
  const { port, messageSize } = context.params;
  const stream = await MessageStream.connect({ host: HOST, port });
  const message = Buffer.alloc(messageSize, 0x61);
  try {
    await sendBlocks(context, async (count) => {
      for (let i = 0; i < count; i++) {
        if (!stream.write(message)) await stream.drain();
      }
      await stream.flush();
    });
  } finally {
    await stream.close();
  }
}

export async function zmqReceiver(context: PeerContext<unknown>): Promise<void> {
  const { Pull } = await import('zeromq');
  const pull = new Pull({ linger: 0 });
  await pull.bind(`tcp://${HOST}:*`);
  const port = Number(/:(\d+)$/.exec(pull.lastEndpoint ?? '')?.[1]);
  const tally = new MessageTally();
  const receiving = (async () => {
    for await (const [message] of pull) tally.add(1, message?.length ?? 0);
  })();
  await receiveMessages(context, port, tally);
  pull.close();
  await receiving.catch(() => undefined);
}

export async function zmqSender(context: PeerContext<SenderParams>): Promise<void> {
  const { port, messageSize } = context.params;
  const { Push } = await import('zeromq');
  const push = new Push({ linger: 0 });
  push.connect(`tcp://${HOST}:${port}`);
  const message = Buffer.alloc(messageSize, 0x61);
  try {
    await sendBlocks(context, async (count) => {
      for (let i = 0; i < count; i++) await push.send(message);
    });
  } finally {
    push.close();
  }
}
