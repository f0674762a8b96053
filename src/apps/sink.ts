import { AbortError, TimeoutError } from '../errors.js';
import { parseChatMessage } from './chat-message.js';
import { SequenceTracker, type SequenceSummary } from './sequence-tracker.js';
import type { MessageTransport } from './transport.js';

const NUMBER_TEXT = /^Number (\d{1,15})$/;

/** When {@link runSink} ends, and what it reports on the way. */
export interface SinkOptions {
  /** End once this many distinct numbers have arrived; numbers below it that never came are lost. */
  expect?: number | undefined;
  /**
   * End after this many milliseconds without a streamer message, counted from the last one
   * received: before the first one the sink waits without limit (the streamer may start later).
   */
  idleTimeout?: number | undefined;
  /** Ends the sink early (the summary is still returned). */
  signal?: AbortSignal | undefined;
  /**
   * Called with the counts so far after each message; `lost` there counts the numbers missing
   * below the highest seen (not yet below `expect`).
   */
  onProgress?: ((summary: SequenceSummary) => void) | undefined;
}

/**
 * Counts what a streamer sends to `transport`: the numbers of `Number i` chat messages, with
 * losses, duplicates and reordering. Resolves with the summary when `expect` distinct numbers
 * have arrived, after `idleTimeout` of silence once a first message came, or when `signal`
 * aborts. Datagrams that are not
 * streamer messages are ignored.
 */
export async function runSink(
  transport: MessageTransport,
  options: SinkOptions = {},
): Promise<SequenceSummary> {
  const { expect, idleTimeout, signal, onProgress } = options;
  const tracker = new SequenceTracker();
  while (expect === undefined || tracker.distinct < expect) {
    let data: Buffer;
    try {
      ({ data } = await transport.recvFrom(transport.maxMessageSize + 1, {
        // Nothing counted yet: the streamer has not started, which is no reason to give up.
        timeout: tracker.summary().received === 0 ? undefined : idleTimeout,
        signal,
      }));
    } catch (error) {
      if (error instanceof TimeoutError || error instanceof AbortError) break;
      throw error;
    }
    const text = parseChatMessage(data.toString('utf8'))?.text;
    const match = text === undefined ? null : NUMBER_TEXT.exec(text);
    if (!match) continue;
    tracker.record(Number(match[1]));
    onProgress?.(tracker.summary());
  }
  return tracker.summary(expect);
}
