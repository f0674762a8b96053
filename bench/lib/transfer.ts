import { STOP, type PeerContext, type PeerMessage } from './peer-protocol.js';
import type { PeerHandle } from './peer.js';
import type { Contender, RoundContext } from './scenario.js';
import { threadCpuMeter } from './thread-cpu.js';

/**
 * One-way transfers cut into blocks: for each contender a receiver thread and a sender thread,
 * all started at once; the contenders take turns block by block (one pair works while the
 * others wait idle), so that a change in the machine's speed hits every contender alike.
 *
 * Per block the coordinator arms the receiver with the amount to expect, tells the sender to
 * send it, tells the receiver when the sender is done, and collects what the receiver counted.
 * Amounts are bytes or datagrams, as the scenario counts them.
 */

/** Coordinator to receiver: count `target` more, starting now. */
export interface Arm extends PeerMessage {
  target: number;
}

/** Coordinator to sender: send `amount` now. */
export interface SendBlock extends PeerMessage {
  amount: number;
}

/** Sender to coordinator, after a block: when it started and ended, and its CPU time. */
export interface BlockSent extends PeerMessage {
  startNs: bigint;
  endNs: bigint;
  cpuMs: number;
}

/** Receiver to coordinator, after a block: what arrived, when, and the receiver's CPU time. */
export interface BlockReceived extends PeerMessage {
  count: number;
  firstNs: bigint;
  lastNs: bigint;
  cpuMs: number;
  /** Counters the receiver adds for its library (such as datagrams its own queue dropped). */
  extra: Record<string, number>;
}

/** How long nothing must arrive, once the sender is done, before a block is over (ms). */
const IDLE_MS = 50;
const IDLE_TICK_MS = 10;

/**
 * The receiver's tally, fed from its hot path with {@link add}. It notes the arrival time of
 * every addition, so that the block's last arrival is exact even when some of it was lost.
 */
export class BlockCounter {
  count = 0;
  firstNs = 0n;
  lastNs = 0n;
  #target = Infinity;
  #reached: (() => void) | undefined;

  /** Counts `amount` (bytes or one datagram) that has just arrived. */
  add(amount: number): void {
    const now = process.hrtime.bigint();
    if (this.count === 0) this.firstNs = now;
    this.lastNs = now;
    this.count += amount;
    if (this.count >= this.#target) {
      this.#target = Infinity;
      this.#reached?.();
    }
  }

  /** Starts a block of `target`; resolves when it has all arrived. */
  arm(target: number): Promise<void> {
    this.count = 0;
    this.firstNs = 0n;
    this.lastNs = 0n;
    this.#target = target;
    return new Promise<void>((resolve) => (this.#reached = resolve));
  }

  /** Resolves once nothing has arrived for {@link IDLE_MS}. */
  idle(): Promise<void> {
    return new Promise<void>((resolve) => {
      let seen = this.count;
      let quiet = 0;
      const timer = setInterval(() => {
        if (this.count !== seen) {
          seen = this.count;
          quiet = 0;
        } else if ((quiet += IDLE_TICK_MS) >= IDLE_MS) {
          clearInterval(timer);
          resolve();
        }
      }, IDLE_TICK_MS);
    });
  }
}

/**
 * The receiver's side of the protocol, common to every contender: reports `port` (undefined
 * for a receiver that connects), then per block arms `counter`, waits for the sender to be done
 * and for the block to arrive in full (or for the arrivals to stop), and reports the block;
 * returns when told to stop.
 */
export async function receiveBlocks(
  context: PeerContext<unknown>,
  port: number | undefined,
  counter: BlockCounter,
  extra: () => Record<string, number> = () => ({}),
): Promise<void> {
  context.post({ type: 'ready', port });
  for (;;) {
    const message = await context.next<Arm>(['arm', STOP]);
    if (message.type === STOP) return;
    const cpu = threadCpuMeter();
    const complete = counter.arm(message.target);
    context.post({ type: 'armed' });
    await context.next('sender-done');
    await Promise.race([complete, counter.idle()]);
    const { count, firstNs, lastNs } = counter;
    context.post({ type: 'block', count, firstNs, lastNs, cpuMs: cpu(), extra: extra() });
  }
}

/**
 * The sender's side of the protocol, common to every contender: reports ready (with `port`
 * for a sender that listens), then runs `send` for each block; returns when told to stop.
 */
export async function sendBlocks(
  context: PeerContext<unknown>,
  send: (amount: number) => Promise<void>,
  port?: number,
): Promise<void> {
  context.post({ type: 'ready', port });
  for (;;) {
    const message = await context.next<SendBlock>(['send', STOP]);
    if (message.type === STOP) return;
    const cpu = threadCpuMeter();
    const startNs = process.hrtime.bigint();
    await send(message.amount);
    const endNs = process.hrtime.bigint();
    context.post({ type: 'sent', startNs, endNs, cpuMs: cpu() });
  }
}

/** Totals of one contender's blocks in a round. */
export interface TransferTotals {
  /** Amount the sender sent. */
  sent: number;
  /** Amount the receiver counted. */
  received: number;
  /** Sum over blocks of first to last arrival, in seconds. */
  receiveSeconds: number;
  /** Sum over blocks of the sender's start to end, in seconds. */
  sendSeconds: number;
  senderCpuMs: number;
  receiverCpuMs: number;
  /** The receiver's extra counters after its last block. */
  extra: Record<string, number>;
}

/** Sizes of a block transfer. */
export interface TransferPlan {
  /** Amount per block. */
  block: number;
  /** Blocks per contender and round. */
  blocks: number;
  /**
   * Blocks each pair sends first, in the same turns, that are not counted: a pair's ends are
   * fresh processes every round, so without them the first counted block also pays for the
   * JavaScript ends' code being compiled as it warms up and for the new connection's buffers
   * growing to their working size (default 0).
   */
  warmupBlocks?: number;
  /** Parameters for the receivers and the senders. */
  receiverParams: unknown;
  senderParams: (port: number) => unknown;
  /**
   * The other direction of connecting, for the contenders it names: their sender listens and
   * is started first, with `senderParams`; their receiver connects to the port the sender
   * reported, with `receiverParams(port)`.
   */
  senderListens?: {
    contenders: readonly string[];
    senderParams: unknown;
    receiverParams: (port: number) => unknown;
  };
}

/** Starts `contender`'s receiver and sender, the listening one first; both have said ready. */
async function startPair(
  contender: Contender,
  plan: TransferPlan,
  context: RoundContext,
): Promise<{ receiver: PeerHandle; sender: PeerHandle }> {
  const wait = context.messageTimeoutMs;
  type Ready = PeerMessage & { port: number };
  const reverse = plan.senderListens;
  if (reverse?.contenders.includes(contender.id) === true) {
    const sender = context.start(contender, 'sender', reverse.senderParams);
    const { port } = await sender.next<Ready>('ready', wait);
    const receiver = context.start(contender, 'receiver', reverse.receiverParams(port));
    await receiver.next('ready', wait);
    return { receiver, sender };
  }
  const receiver = context.start(contender, 'receiver', plan.receiverParams);
  const { port } = await receiver.next<Ready>('ready', wait);
  const sender = context.start(contender, 'sender', plan.senderParams(port));
  await sender.next('ready', wait);
  return { receiver, sender };
}

interface Pair {
  contender: Contender;
  receiver: PeerHandle;
  sender: PeerHandle;
  totals: TransferTotals;
}

/** Runs one round of a block transfer for every contender in `order`; totals by contender id. */
export async function transferRound(
  order: readonly Contender[],
  plan: TransferPlan,
  context: RoundContext,
): Promise<Map<string, TransferTotals>> {
  const wait = context.messageTimeoutMs;
  const pairs: Pair[] = [];
  for (const contender of order) {
    const { receiver, sender } = await startPair(contender, plan, context);
    const totals: TransferTotals = {
      sent: 0,
      received: 0,
      receiveSeconds: 0,
      sendSeconds: 0,
      senderCpuMs: 0,
      receiverCpuMs: 0,
      extra: {},
    };
    pairs.push({ contender, receiver, sender, totals });
  }
  const warmup = plan.warmupBlocks ?? 0;
  for (let block = -warmup; block < plan.blocks; block++) {
    for (const { receiver, sender, totals } of block % 2 === 0 ? pairs : [...pairs].reverse()) {
      receiver.post({ type: 'arm', target: plan.block });
      await receiver.next('armed', wait);
      sender.post({ type: 'send', amount: plan.block });
      const sent = await sender.next<BlockSent>('sent', wait);
      receiver.post({ type: 'sender-done' });
      const got = await receiver.next<BlockReceived>('block', wait);
      if (block < 0) continue;
      totals.sent += plan.block;
      totals.received += got.count;
      totals.sendSeconds += Number(sent.endNs - sent.startNs) / 1e9;
      if (got.count > 0) totals.receiveSeconds += Number(got.lastNs - got.firstNs) / 1e9;
      totals.senderCpuMs += sent.cpuMs;
      totals.receiverCpuMs += got.cpuMs;
      totals.extra = got.extra;
    }
  }
  return new Map(pairs.map(({ contender, totals }) => [contender.id, totals]));
}
