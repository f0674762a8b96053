import { setTimeout as sleep } from 'node:timers/promises';
import type { Endpoint } from '../endpoint/endpoint.js';
import { formatChatMessage } from '../framing/chat-message.js';
import type { MessageTransport } from './transport.js';

/** The sender name of the streamer's messages, as in the course's streamer. */
export const STREAMER_NAME = 'Streamer';

/** What {@link streamNumbers} sends and how fast. */
export interface StreamerOptions {
  /** How many messages: `Number 0` up to `Number count-1`. */
  count: number;
  /** Where each message goes. */
  peers: Endpoint[];
  /** Messages per second; as fast as the transport takes them when left out. */
  rate?: number | undefined;
  /** Sends not yet completed at once (a reliable transport completes a send when acknowledged). */
  window?: number;
  /** Stops streaming early. */
  signal?: AbortSignal | undefined;
}

/** The text of the streamer's message number `i`. */
export function streamerText(i: number): string {
  return `Number ${i}`;
}

/**
 * Sends `count` chat messages with text `Number i` from sender `Streamer` to every peer, paced
 * at `rate` messages per second when given. Resolves with the number of messages sent once every
 * send has completed; rejects with the first send error.
 */
export async function streamNumbers(
  transport: MessageTransport,
  options: StreamerOptions,
): Promise<number> {
  const { count, peers, rate, signal } = options;
  const window = options.window ?? 256;
  const inFlight = new Set<Promise<unknown>>();
  let failure: Error | undefined;
  const started = performance.now();
  let sent = 0;
  for (let i = 0; i < count && !signal?.aborted; i++) {
    if (rate !== undefined) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait, undefined, { signal }).catch(() => undefined);
      if (signal?.aborted) break;
    }
    const payload = Buffer.from(formatChatMessage(streamerText(i), STREAMER_NAME));
    for (const peer of peers) {
      const sending: Promise<unknown> = transport.sendTo(payload, peer).then(
        () => inFlight.delete(sending),
        (error: unknown) => {
          inFlight.delete(sending);
          failure ??= error instanceof Error ? error : new Error(String(error));
        },
      );
      inFlight.add(sending);
      if (inFlight.size >= window) await Promise.race(inFlight);
      if (failure !== undefined) throw failure;
    }
    sent++;
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return sent;
}
