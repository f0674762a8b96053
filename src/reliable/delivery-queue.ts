import type { Endpoint } from '../endpoint/endpoint.js';
import type { WaitOptions } from '../internal/deadline.js';
import { waitOptionsError } from '../internal/deadline.js';
import { Fifo } from '../internal/fifo.js';
import { ItemQueue } from '../internal/item-queue.js';
import { afterATurn, cancelTurn } from '../internal/after-a-turn.js';
import { owned, sharesBuffer } from './owned.js';
import type { DeliveryRoom, ReceiveFlow } from './receive-flow.js';

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
 *
 * The queue as a whole is capped too (`receiveQueueLimit` messages, `receiveQueueBytes`
 * payload bytes), since a flow that ends takes its window with it while its messages stay. A
 * full queue drops nothing: it refuses to take more ({@link admit}), every flow advertises a
 * window of 0 ({@link full}), and it opens again once reads bring it down to half of both
 * limits, when `onRoom` is called so that the flows it held back hear of it.
 *
 * A message comes as it arrived, which may be a view into a buffer the native path shares
 * among the datagrams of one batch. One that is still held once the turn of the event loop it
 * came in is over gets memory of its own then, so that what waits costs what it is charged;
 * one read before (a receive loop reads a batch's messages in the turn they arrive) is never
 * copied, as a datagram socket hands out its datagrams.
 */
export class DeliveryQueue implements DeliveryRoom {
  // The caps below, checked before a message is taken, bound what is held.
  readonly #queue = new ItemQueue<ReliableMessage>(Number.MAX_SAFE_INTEGER);
  readonly #flows = new Fifo<ReceiveFlow>();
  readonly #segments = new Fifo<number>();
  /** Payload bytes held. */
  #bytes = 0;
  #full = false;
  /** Messages ever held, and ever taken off the queue: each held message's place in line. */
  #heldSoFar = 0;
  #takenSoFar = 0;
  /** Held messages in shared buffers, with their places, to be copied at the end of the turn. */
  readonly #shared: ReliableMessage[] = [];
  readonly #sharedPlaces: number[] = [];
  #owning: NodeJS.Immediate | undefined;

  constructor(
    private readonly limit: number,
    private readonly byteLimit: number,
    private readonly onRead: (flow: ReceiveFlow) => void,
    private readonly onRoom: () => void,
  ) {}

  get length(): number {
    return this.#queue.length;
  }

  get full(): boolean {
    return this.#full;
  }

  admit(bytes: number): boolean {
    if (this.#full) return false;
    // An empty queue takes any message, so that one larger than the byte limit still arrives.
    if (this.#bytes + bytes <= this.byteLimit || this.#queue.length === 0) return true;
    this.#full = true;
    return false;
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
    this.#bytes += message.data.length;
    if (this.#queue.length >= this.limit || this.#bytes >= this.byteLimit) this.#full = true;
    const place = this.#heldSoFar++;
    if (sharesBuffer(message.data)) {
      this.#shared.push(message);
      this.#sharedPlaces.push(place);
      this.#owning ??= afterATurn(this.#own);
    }
  }

  /** Takes the next held message without waiting, or undefined. */
  tryShift(): ReliableMessage | undefined {
    const message = this.#queue.tryShift();
    if (message === undefined) return undefined;
    this.#takenSoFar++;
    const flow = this.#flows.shift() as ReceiveFlow;
    flow.unread -= this.#segments.shift() as number;
    this.#bytes -= message.data.length;
    if (flow.alive) this.onRead(flow);
    if (this.#full && this.#queue.length * 2 <= this.limit && this.#bytes * 2 <= this.byteLimit) {
      this.#full = false;
      this.onRoom();
    }
    return message;
  }

  /** Waits for the next message (none is held: call {@link tryShift} first). */
  take(options: WaitOptions, what: string, endpoint: Endpoint): Promise<ReliableMessage> {
    return this.#queue.take(options, what, endpoint);
  }

  /** Ends the queue: held messages are dropped, waiting and later receives reject. */
  fail(makeError: () => Error): void {
    this.#queue.fail(makeError, true);
    this.#flows.clear();
    this.#segments.clear();
    this.#bytes = 0;
    this.#full = false;
    if (this.#owning !== undefined) cancelTurn(this.#owning);
    this.#owning = undefined;
    this.#shared.length = 0;
    this.#sharedPlaces.length = 0;
  }

  /** Gives the messages in shared buffers that are still held memory of their own. */
  readonly #own = (): void => {
    this.#owning = undefined;
    const messages = this.#shared;
    const places = this.#sharedPlaces;
    const taken = this.#takenSoFar;
    for (let i = 0; i < messages.length; i++) {
      // Places run in queue order: those before `taken` have been read.
      if ((places[i] as number) < taken) continue;
      const message = messages[i] as ReliableMessage;
      message.data = owned(message.data);
    }
    messages.length = 0;
    places.length = 0;
  };
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
