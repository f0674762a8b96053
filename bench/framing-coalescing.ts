/**
 * Framed 100-byte messages per second over a loopback TCP connection, with and without write
 * coalescing. The receiver runs in a worker thread (its own core) and decodes every frame with
 * a FrameDecoder; a run ends when it has decoded them all.
 *
 *   coalesced:   FrameWriter.write(message) per message (frames gathered into 64 KiB writes),
 *                awaiting drain() when write returns false
 *   per-message: socket.write(encodeFrame(message)) per message, awaiting 'drain' when it
 *                returns false (what code without a frame writer does)
 *
 * Run: npx tsc -p tsconfig.json && node build/bench/framing-coalescing.js [messages] [runs]
 */
import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { encodeFrame, FrameDecoder, FrameWriter } from '../src/index.js';

const MESSAGE_SIZE = 100;
const PREFIX = 'uint32be';

interface ReceiverData {
  expected: number;
}

/** Worker side: accept one connection, decode until `expected` messages, report, exit. */
async function receive({ expected }: ReceiverData): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('receiver must run in a worker');
  const server = createServer((socket) => {
    const decoder = new FrameDecoder({ prefix: PREFIX });
    const out: Buffer[] = [];
    let count = 0;
    let bytes = 0;
    socket.on('data', (chunk: Buffer) => {
      decoder.push(chunk, out);
      count += out.length;
      for (const message of out) bytes += message.length;
      out.length = 0;
      if (count >= expected) {
        port.postMessage({ count, bytes });
        socket.destroy();
        server.close();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port.postMessage({ port: (server.address() as AddressInfo).port });
}

async function sendCoalesced(socket: Socket, message: Buffer, count: number): Promise<void> {
  const writer = new FrameWriter(socket, { prefix: PREFIX });
  for (let i = 0; i < count; i++) {
    if (!writer.write(message)) await writer.drain();
  }
  await writer.flush();
}

async function sendPerMessage(socket: Socket, message: Buffer, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    if (!socket.write(encodeFrame(message, { prefix: PREFIX }))) await once(socket, 'drain');
  }
}

type Sender = (socket: Socket, message: Buffer, count: number) => Promise<void>;

/** One run: messages per second, from the first write to the last message decoded. */
async function run(send: Sender, count: number): Promise<number> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { expected: count } });
  try {
    const [ready] = (await once(worker, 'message')) as [{ port: number }];
    const socket = connect(ready.port, '127.0.0.1');
    socket.setNoDelay(true);
    await once(socket, 'connect');
    const done = once(worker, 'message') as Promise<[{ count: number; bytes: number }]>;
    const message = Buffer.alloc(MESSAGE_SIZE, 0x61);
    const start = process.hrtime.bigint();
    await send(socket, message, count);
    const [result] = await done;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    socket.destroy();
    if (result.count !== count || result.bytes !== count * MESSAGE_SIZE) {
      throw new Error(`receiver decoded ${result.count} messages, ${result.bytes} bytes`);
    }
    return count / seconds;
  } finally {
    await worker.terminate();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 2_000_000);
  const runs = Number(process.argv[3] ?? 3);
  const modes: [string, Sender][] = [
    ['coalesced', sendCoalesced],
    ['per-message', sendPerMessage],
  ];
  const results = new Map<string, number[]>(modes.map(([name]) => [name, []]));
  // Interleave the modes so that a change in machine load affects both alike.
  for (let r = 0; r < runs; r++) {
    for (const [name, send] of modes) {
      const rate = await run(send, count);
      results.get(name)?.push(rate);
      console.log(`run ${r + 1} ${name.padEnd(11)} ${(rate / 1e6).toFixed(2)} M msg/s`);
    }
  }
  for (const [name, rates] of results) {
    const m = median(rates);
    console.log(
      `median ${name.padEnd(11)} ${(m / 1e6).toFixed(2)} M msg/s ` +
        `(${((m * MESSAGE_SIZE) / 1e6).toFixed(0)} MB/s payload, ${count} x ${MESSAGE_SIZE} B, ${runs} runs)`,
    );
  }
}

if (isMainThread) {
  await main();
} else {
  await receive(workerData as ReceiverData);
}
