/**
 * The dsock and plain-UDP contenders of the reliable goodput benchmarks (the standalone
 * bench/reliable-goodput.ts and the suite's bench/scenarios/reliable-goodput.ts): each run
 * sends `messages` messages of `messageSize` bytes through a ChaosRelay dropping `loss` of the
 * datagrams (both directions), and measures what the receiving application got. Relay, sender
 * and receiver share the calling thread, so each side also pays for the relay.
 */
import { ChaosRelay, DatagramSocket, ReliableDatagramSocket } from '../../../src/index.js';

/** What one run delivered. */
export interface GoodputResult {
  /** Until the last message arrived, or the cap when not everything did. */
  seconds: number;
  /** Payload bytes read by the receiving application. */
  delivered: number;
  /** Why a connection ended before delivering everything (uTP only). */
  failure?: string;
}

/** One run: the work and the relay's faults. */
export interface GoodputRunOptions {
  messages: number;
  messageSize: number;
  loss: number;
  seed: number;
  /** Longest a reliable run may take; what arrived by then is what counts. */
  capMs: number;
  /** A pre-shared key both reliable sockets seal their datagrams with (none by default). */
  psk?: string;
}

/** Plain UDP datagrams sent between turns of the event loop. */
const BURST = 16;
/** How long the plain UDP receiver waits after the last arrival before the run ends. */
const UDP_QUIET_MS = 300;

/**
 * ReliableDatagramSocket.sendTo for every message (the socket queues them and paces them by
 * its windows); the receiver reads until it has every message. Time: first send to last
 * message read. With `psk`, both sockets seal every datagram under it.
 */
export async function reliableRun(options: GoodputRunOptions): Promise<GoodputResult> {
  const { messages, messageSize, loss, seed, capMs } = options;
  const keyed = options.psk === undefined ? {} : { psk: options.psk };
  const receiver = await ReliableDatagramSocket.bind('127.0.0.1:0', keyed);
  const relay = await ChaosRelay.start({ target: receiver.localEndpoint, faults: { loss, seed } });
  const sender = await ReliableDatagramSocket.bind('127.0.0.1:0', keyed);
  const payload = Buffer.alloc(messageSize, 0x61);
  const to = relay.localEndpoint;
  let capped = false;
  // Closing the receiver ends the reads at the cap without a timer per read.
  const cap = setTimeout(() => {
    capped = true;
    void receiver.close({ timeout: 0 });
  }, capMs);
  const started = performance.now();
  const sends: Promise<number>[] = [];
  for (let i = 0; i < messages; i++) sends.push(sender.sendTo(payload, to));
  const sent = Promise.all(sends);
  // Awaited below, or abandoned at the cap when closing rejects what was not acknowledged.
  sent.catch(() => {});
  try {
    let delivered = 0;
    try {
      for (let i = 0; i < messages; i++) delivered += (await receiver.recvFrom()).data.length;
    } catch (error) {
      if (!capped) throw error;
    }
    if (capped) return { seconds: capMs / 1000, delivered };
    const seconds = (performance.now() - started) / 1000;
    await sent;
    return { seconds, delivered };
  } finally {
    clearTimeout(cap);
    await sender.close({ timeout: 0 });
    await receiver.close({ timeout: 0 });
    await relay.close();
  }
}

/**
 * DatagramSocket.sendTo for every message, awaiting each send and letting the event loop turn
 * every {@link BURST} sends (or the relay and receiver would starve); the receiver reads
 * whatever arrives (the relay's losses are losses). Time: first send to last datagram read;
 * the run ends {@link UDP_QUIET_MS} after the last arrival.
 */
export async function udpRun(options: GoodputRunOptions): Promise<GoodputResult> {
  const { messages, messageSize, loss, seed } = options;
  const receiver = await DatagramSocket.bind('127.0.0.1:0', { kernelReceiveBufferSize: 1 << 20 });
  const relay = await ChaosRelay.start({ target: receiver.localEndpoint, faults: { loss, seed } });
  const sender = await DatagramSocket.bind('127.0.0.1:0', { kernelSendBufferSize: 1 << 20 });
  const payload = Buffer.alloc(messageSize, 0x61);
  const to = relay.localEndpoint;
  try {
    const started = performance.now();
    let delivered = 0;
    let last = started;
    const receiving = (async () => {
      for (;;) {
        try {
          delivered += (await receiver.recvFrom(65536, { timeout: UDP_QUIET_MS })).data.length;
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
