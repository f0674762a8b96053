import type { Endpoint } from '../endpoint/endpoint.js';
import type { WaitOptions } from '../internal/deadline.js';
import { waitOptionsError } from '../internal/deadline.js';
import { ItemQueue } from '../internal/item-queue.js';
import type { ReceiveFlow } from './receive-flow.js';

/** One message received on a reliable socket. */
export interface ReliableMessage {
  /** The message, or its first `bufsize` bytes when {@link truncated}. */
  data: Buffer;
  /** The peer that sent it. */
  sender: Endpoint;
  /** True when the message was longer than the `bufsize` asked for; the rest was discarded. */
  truncated: boolean;
}

/**
 * Complete messages waiting for the application, in arrival order. Each held message is
 * charged to its flow (`unread`, in segments) until it is read, which is what shrinks the
 * window that flow advertises: a reader that falls behind slows its senders down. A message
 * handed straight to a waiting receive is never charged.
 */
export class DeliveryQueue {
  // Flow control, not this limit, bounds what is held.
  readonly #queue = new ItemQueue<ReliableMessage>(Number.MAX_SAFE_INTEGER);
  #flows: ReceiveFlow[] = [];
  #segments: number[] = [];
  #head = 0;

  constructor(private readonly onRead: (flow: ReceiveFlow) => void) {}

  get length(): number {
    return this.#queue.length;
  }

  deliver(message: ReliableMessage, flow: ReceiveFlow, segments: number): void {
    if (this.#queue.waiting > 0) {
      this.#queue.push(message);
      return;
    }
    this.#queue.push(message);
    this.#flows.push(flow);
    this.#segments.push(segments);
    flow.unread += segments;
  }

  /** Takes the next held message without waiting, or undefined. */
  tryShift(): ReliableMessage | undefined {
    const message = this.#queue.tryShift();
    if (message === undefined) return undefined;
    const at = this.#head++;
    const flow = this.#flows[at] as ReceiveFlow;
    flow.unread -= this.#segments[at] as number;
    this.#flows[at] = undefined as unknown as ReceiveFlow;
    if (this.#head === this.#flows.length) {
      this.#flows = [];
      this.#segments = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#flows.length) {
      this.#flows.splice(0, this.#head);
      this.#segments.splice(0, this.#head);
      this.#head = 0;
    }
    if (flow.alive) this.onRead(flow);
    return message;
  }

  /** Waits for the next message (none is held: call {@link tryShift} first). */
  take(options: WaitOptions, what: string, endpoint: Endpoint): Promise<ReliableMessage> {
    return this.#queue.take(options, what, endpoint);
  }

  /** Ends the queue: held messages are dropped, waiting and later receives reject. */
  fail(makeError: () => Error): void {
    this.#queue.fail(makeError, true);
    this.#flows = [];
    this.#segments = [];
    this.#head = 0;
  }
}

/** `message` cut to `bufsize` bytes, marked truncated when that cut anything. */
export function truncate(message: ReliableMessage, bufsize: number | undefined): ReliableMessage {
  if (bufsize === undefined || message.data.length <= bufsize) return message;
  return { data: message.data.subarray(0, bufsize), sender: message.sender, truncated: true };
}

/** Checks the options of a receive, naming what is wrong. */
export function checkWait(options: WaitOptions): void {
  const error = waitOptionsError(options);
  if (error) throw error;
}
