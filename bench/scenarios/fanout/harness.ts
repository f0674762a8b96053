/**
 * The fan-out scenario's harness (../fanout.ts), the same for every contender: the messages
 * the coordinator and the two ends exchange, the receiving side's count of arrivals, which
 * reports each completed fan-out to the sender in a datagram of its own, and the sending side's
 * repetitions.
 */
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { once } from 'node:events';
import { STOP, type PeerContext, type PeerMessage } from '../../lib/peer-protocol.js';
import { threadCpuMeter } from '../../lib/thread-cpu.js';

export interface SenderParams {
  ports: readonly number[];
  message: string;
  text: string;
  name: string;
}

export interface ReceiverReady extends PeerMessage {
  ports: number[];
}

export interface SenderReady extends PeerMessage {
  ackPort: number;
}

/** Coordinator to receiver: count arrivals over the first `group` sockets. */
export interface Arm extends PeerMessage {
  group: number;
  ackPort: number;
}

export interface Block extends PeerMessage {
  group: number;
  repetitions: number;
  timed: boolean;
}

/** Sender to coordinator, after a block: the timed repetitions' latencies and the CPU spent. */
export interface BlockDone extends PeerMessage {
  latencies: number[];
  cpuMs: number;
}

export interface Usage extends PeerMessage {
  cpuMs: number;
}

export const HOST = '127.0.0.1';
/** How long the sender waits for the word that every peer has a message before giving up. */
const ACK_TIMEOUT_MS = 5_000;

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

export async function boundDgram(): Promise<DgramSocket> {
  const socket = createSocket('udp4');
  socket.bind(0, HOST);
  await once(socket, 'listening');
  return socket;
}

/** The contender's receiving sockets, as the receiver protocol needs them. */
export interface PeerSockets {
  ports: number[];
  close(): Promise<void>;
}

/**
 * The receiver's protocol: lets `open` bind the contender's peer sockets, each calling
 * `arrived` per message, reports their ports, and arms the count per block until told to stop.
 */
export async function receiverSide(
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
export async function senderSide(
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
