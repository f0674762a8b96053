/**
 * The contenders of the framed-messages scenario (../framed.ts): each end of each contender,
 * run in a worker thread, and the receiving side's protocol they share.
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import type * as zeromq from 'zeromq';
import {
  type ConnectOptions,
  MessageStream,
  StreamServer,
  type ListenOptions,
  type StreamSocket,
} from '../../../src/index.js';
import { listeningPort } from '../../lib/listening-port.js';
import { STOP, type PeerContext, type PeerMessage } from '../../lib/peer-protocol.js';
import { loadContender } from '../../lib/contender-modules.js';
import { threadCpuMeter } from '../../lib/thread-cpu.js';
import { sendBlocks, type Arm } from '../../lib/transfer.js';

/** zeromq.js, from bench/node_modules (see ../../types/zeromq.d.ts). */
type ZeroMq = typeof zeromq;

export interface SenderParams {
  port: number;
  messageSize: number;
  /** The TLS server's certificate, trusted as the CA (the TLS contenders only). */
  ca?: string;
}

/** Receiver to coordinator, once listening. */
export interface Ready extends PeerMessage {
  port: number;
}

/** Receiver to coordinator, once a block has all arrived. */
export interface BlockParsed extends PeerMessage {
  count: number;
  bytes: number;
  lastNs: bigint;
  cpuMs: number;
}

const HOST = '127.0.0.1';
export const PREFIX_SIZE = 4;
/** What the raw packing sender gathers per write, as dsock's FrameWriter does by default. */
const PACK_SIZE = 64 * 1024;

/**
 * The receiver's count of a block, fed once per message or per chunk: cheap enough for the
 * per-message path (no clock read but at the block's end).
 */
export class MessageTally {
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
export async function receiveMessages(
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

/**
 * Takes apart the frames arriving on `socket` (a node:net or node:tls socket), as a raw user
 * would: on('data') joins a partial frame with the chunk and cuts frames by their prefix.
 */
export function countFrames(socket: Socket, tally: MessageTally): void {
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
    countFrames(socket, tally);
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

/**
 * Sends out the block's last frame at once. With Nagle's algorithm on (node:net's default), a
 * small last segment waits for the peer's ACK of the data before it, which Linux may delay by
 * 40 ms: a stall a continuous stream meets once, but cutting it into blocks would add to each.
 * Turning TCP_NODELAY on pushes the pending segment out; it is turned off again for the next
 * block.
 */
export function pushTail(socket: Socket): void {
  socket.setNoDelay(true);
  socket.setNoDelay(false);
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
    pushTail(socket);
  });
  socket.destroy();
}

/**
 * Writes `count` frames of `message` packed by hand into 64 KiB writes, awaiting 'drain' when
 * a write returns false, then pushes the last segment out.
 */
export async function sendPacked(socket: Socket, message: Buffer, count: number): Promise<void> {
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
  pushTail(socket);
}

export async function rawPackedSender(context: PeerContext<SenderParams>): Promise<void> {
  const { port, messageSize } = context.params;
  const socket = await rawConnect(port);
  const message = Buffer.alloc(messageSize, 0x61);
  await sendBlocks(context, (count) => sendPacked(socket, message, count));
  socket.destroy();
}

/** dsock's receiver: `listen` options given (TLS or not), a MessageStream per connection. */
export async function dsockReceive(
  context: PeerContext<unknown>,
  listen: ListenOptions = {},
): Promise<void> {
  const server = await StreamServer.listen(`${HOST}:0`, listen);
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

export function dsockReceiver(context: PeerContext<unknown>): Promise<void> {
  return dsockReceive(context);
}

/** dsock's sender: `MessageStream.connect` with `connect` options (TLS or not). */
export async function dsockSend(
  context: PeerContext<SenderParams>,
  connect: ConnectOptions = {},
): Promise<void> {
  const { port, messageSize } = context.params;
  const stream = await MessageStream.connect({ host: HOST, port }, connect);
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

export function dsockSender(context: PeerContext<SenderParams>): Promise<void> {
  return dsockSend(context);
}

export async function zmqReceiver(context: PeerContext<unknown>): Promise<void> {
  const { Pull } = loadContender<ZeroMq>('zeromq');
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
  const { Push } = loadContender<ZeroMq>('zeromq');
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
