/**
 * One round of a framed-messages scenario (../framed.ts, ../framed-tls.ts): every contender's
 * receiver and sender started at once, then an untimed block and the timed blocks taken in
 * turns, each checked in full at the receiver.
 */
import type { PeerHandle } from '../../lib/peer.js';
import type { Contender, RoundContext } from '../../lib/scenario.js';
import type { BlockSent } from '../../lib/transfer.js';
import type { BlockParsed, Ready, SenderParams } from './peers.js';

/** The sizes of a round. */
export interface FramedParams {
  messageSize: number;
  /** Messages per block, timed blocks per contender and round, and the untimed first block. */
  block: number;
  blocks: number;
  warmup: number;
}

/** What one contender measured over a round's timed blocks. */
export interface FramedTotals {
  count: number;
  /** Sum over blocks of the sender's first write to the last message received. */
  seconds: number;
  sendMs: number;
  recvMs: number;
}

interface Pair extends FramedTotals {
  contender: Contender;
  receiver: PeerHandle;
  sender: PeerHandle;
}

/**
 * Runs one round for every contender in `order`, their receivers started with
 * `receiverParams` and their senders with the receiver's port and `senderParams`; the totals
 * by contender id. A contender that cannot start has no figures this round.
 */
export async function framedRound(
  scenario: string,
  order: readonly Contender[],
  p: FramedParams,
  context: RoundContext,
  receiverParams: object = {},
  senderParams: object = {},
): Promise<Map<string, FramedTotals>> {
  const wait = context.messageTimeoutMs;
  const pairs: Pair[] = [];
  for (const contender of order) {
    const receiver = context.start(contender, 'receiver', receiverParams);
    let sender: PeerHandle;
    try {
      const { port } = await receiver.next<Ready>('ready', wait);
      const params: SenderParams = { ...senderParams, port, messageSize: p.messageSize };
      sender = context.start(contender, 'sender', params);
      await sender.next('ready', wait);
    } catch (error) {
      // A contender that cannot start here (zeromq not installed) has no figures this
      // round; the others still run.
      process.stderr.write(`${scenario}: ${contender.id} did not start: ${String(error)}\n`);
      continue;
    }
    pairs.push({ contender, receiver, sender, count: 0, seconds: 0, sendMs: 0, recvMs: 0 });
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
  return new Map(
    pairs.map(({ contender, count, seconds, sendMs, recvMs }) => [
      contender.id,
      { count, seconds, sendMs, recvMs },
    ]),
  );
}

/** The per-message figures of a contender's totals: rate in M/s, CPU in ns per message. */
export function framedMetrics(t: FramedTotals): { rate: number; sendCpu: number; recvCpu: number } {
  return {
    rate: t.count / t.seconds / 1e6,
    sendCpu: (t.sendMs * 1e6) / t.count,
    recvCpu: (t.recvMs * 1e6) / t.count,
  };
}
