import { setTimeout as sleep } from 'node:timers/promises';
import type { Endpoint } from '../endpoint/endpoint.js';
import { formatChatMessage } from './chat-message.js';
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

/**
 * Sends between two turns of the event loop when nothing else makes the streamer wait: a
 * datagram send settles without waiting for I/O, so without a turn now and then a stream sent
 * as fast as possible would never see a signal (Ctrl+C) or a timer until it was done.
 */
const SENDS_PER_TURN = 512;

/** The text of the streamer's message number `i`. */
export function streamerText(i: number): string {
  return `Number ${i}`;
}

/**
 * Sends `count` chat messages with text `Number i` from sender `Streamer` to every peer, paced
 * at `rate` messages per second when given. Resolves with the number of messages sent once every
 * send has completed; rejects with the first send error. When `signal` aborts it stops at once
 * (within a turn of the event loop, however fast it sends) and resolves with the number sent so
 * far, without waiting for sends still in flight.
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
  let untilTurn = SENDS_PER_TURN;
  const aborted = abortPromise(signal);
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
      if (inFlight.size >= window) await Promise.race([...inFlight, aborted]);
      else if (--untilTurn <= 0) {
        untilTurn = SENDS_PER_TURN;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (failure !== undefined) throw failure;
    }
    if (signal?.aborted) break;
    sent++;
  }
  if (!signal?.aborted) await Promise.race([Promise.all(inFlight), aborted]);
  if (failure !== undefined) throw failure;
  return sent;
}

/** Resolves when `signal` aborts; never without one. */
function abortPromise(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal === undefined) return;
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
