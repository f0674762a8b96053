/**
 * Goodput of reliable datagrams through a lossy relay, side by side with plain UDP through the
 * same relay: MB/s of payload delivered to the receiving application, 1 KiB messages.
 *
 *   reliable: ReliableDatagramSocket.sendTo for every message (the socket queues them and
 *             paces them by its windows), the receiver reads until it has every message;
 *             time = first send to last message read
 *   udp:      DatagramSocket.sendTo for every message, awaiting each send and letting the event
 *             loop turn every 16 sends (or the relay and receiver would starve); the receiver reads
 *             whatever arrives (the relay's losses are losses); time = first send to last
 *             datagram read (the run ends 300 ms after the last arrival)
 *
 * Relay, senders and receivers share one process, so each side also pays for the relay.
 * Each case runs `runs` times and the median is printed.
 *
 * Run: npx tsc -p tsconfig.json && node build/bench/reliable-goodput.js [messages] [runs]
 */
import { ChaosRelay, DatagramSocket, ReliableDatagramSocket } from '../src/index.js';

const MESSAGE_SIZE = 1024;
const LOSSES = [0, 0.01, 0.05, 0.2];
/** Plain UDP datagrams sent between turns of the event loop. */
const BURST = 16;

interface Result {
  seconds: number;
  delivered: number;
}

async function reliableRun(messages: number, loss: number, seed: number): Promise<Result> {
  const receiver = await ReliableDatagramSocket.bind('127.0.0.1:0');
  const relay = await ChaosRelay.start({ target: receiver.localEndpoint, faults: { loss, seed } });
  const sender = await ReliableDatagramSocket.bind('127.0.0.1:0');
  const payload = Buffer.alloc(MESSAGE_SIZE, 0x61);
  const to = relay.localEndpoint;
  try {
    const started = performance.now();
    const sends: Promise<void>[] = [];
    for (let i = 0; i < messages; i++) sends.push(sender.sendTo(payload, to));
    let delivered = 0;
    for (let i = 0; i < messages; i++) delivered += (await receiver.recvFrom()).data.length;
    const seconds = (performance.now() - started) / 1000;
    await Promise.all(sends);
    return { seconds, delivered };
  } finally {
    await sender.close({ timeout: 0 });
    await receiver.close({ timeout: 0 });
    await relay.close();
  }
}

async function udpRun(messages: number, loss: number, seed: number): Promise<Result> {
  const receiver = await DatagramSocket.bind('127.0.0.1:0', { recvBufferSize: 1 << 20 });
  const relay = await ChaosRelay.start({ target: receiver.localEndpoint, faults: { loss, seed } });
  const sender = await DatagramSocket.bind('127.0.0.1:0', { sendBufferSize: 1 << 20 });
  const payload = Buffer.alloc(MESSAGE_SIZE, 0x61);
  const to = relay.localEndpoint;
  try {
    const started = performance.now();
    let delivered = 0;
    let last = started;
    const receiving = (async () => {
      for (;;) {
        try {
          delivered += (await receiver.recvFrom(65536, { timeout: 300 })).data.length;
          last = performance.now();
        } catch {
          return;
        }
      }
    })();
    for (let i = 0; i < messages; i++) {
      await sender.sendTo(payload, to);
      // Let the relay and the receiver run: without it the sender alone fills every buffer.
      if (i % BURST === BURST - 1) await new Promise((resolve) => setImmediate(resolve));
    }
    await receiving;
    return { seconds: (last - started) / 1000, delivered };
  } finally {
    await sender.close();
    await receiver.close();
    await relay.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function main(): Promise<void> {
  const messages = Number(process.argv[2] ?? 20_000);
  const runs = Number(process.argv[3] ?? 3);
  console.log(`${messages} messages of ${MESSAGE_SIZE} B, median of ${runs} runs`);
  console.log('loss   reliable MB/s  delivered   udp MB/s  delivered   reliable/udp');
  for (const loss of LOSSES) {
    const reliable: number[] = [];
    const udp: number[] = [];
    let reliableShare = 0;
    let udpShare = 0;
    for (let run = 0; run < runs; run++) {
      const r = await reliableRun(messages, loss, 100 + run);
      reliable.push(r.delivered / r.seconds / 1e6);
      reliableShare = r.delivered / (messages * MESSAGE_SIZE);
      const u = await udpRun(messages, loss, 100 + run);
      udp.push(u.delivered / u.seconds / 1e6);
      udpShare = u.delivered / (messages * MESSAGE_SIZE);
    }
    const r = median(reliable);
    const u = median(udp);
    console.log(
      `${(loss * 100).toFixed(0).padStart(3)}%   ${r.toFixed(2).padStart(13)}  ` +
        `${(reliableShare * 100).toFixed(1).padStart(8)}%  ${u.toFixed(2).padStart(9)}  ` +
        `${(udpShare * 100).toFixed(1).padStart(8)}%   ${(r / u).toFixed(2).padStart(12)}`,
    );
  }
}

await main();
