import { Fifo } from '../internal/fifo.js';
import type { ReliableCounters, ReliableSettings } from './options.js';
import type { Scoreboard } from './scoreboard.js';
import { encodeData, FLAG_FIRST, FLAG_LAST, seqAdd, seqBefore } from './wire.js';

/**
 * A message accepted by `sendTo`, settled with its length when the peer acknowledged all of
 * it. The same record waits for room in the send buffer and then for the acknowledgement, and
 * its settle functions are those of the promise `sendTo` returns: a send costs one record and
 * one promise, however many messages are outstanding.
 */
export interface PendingSend {
  /** The message, until it is cut into segments (then undefined: the segments hold it). */
  payload: Uint8Array | undefined;
  /** The message's length in bytes, what the send resolves with. */
  readonly length: number;
  /** The sequence number after the message's last segment. */
  end: number;
  resolve(length: number): void;
  reject(error: Error): void;
}

/**
 * A send flow's messages: cut into DATA segments on the scoreboard while the send buffer has
 * room, else waiting (by reference, uncopied) until acknowledgements make room; and the sends
 * to settle, in order, as the peer's cumulative acknowledgement passes their last segment.
 */
export class SendBuffer {
  /** Bytes (headers included) of the segments not yet acknowledged. */
  bufferedBytes = 0;
  /** The receiver's epoch that new segments carry. */
  epoch = 0;
  readonly #pending = new Fifo<PendingSend>();
  readonly #waiting = new Fifo<PendingSend>();

  constructor(
    private readonly incarnation: number,
    private readonly board: Scoreboard,
    private readonly settings: ReliableSettings,
    private readonly counters: ReliableCounters,
  ) {}

  /** Messages waiting for room. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Takes a message: segmented at once when there is room, else it waits its turn. */
  accept(pending: PendingSend): void {
    if (this.#waiting.length > 0 || !this.#hasRoom(pending.length)) {
      this.#waiting.push(pending);
    } else {
      this.#segmentize(pending);
    }
  }

  /**
   * The scoreboard released `bytes` of acknowledged segments: settles the sends they
   * completed and lets waiting messages in.
   */
  release(bytes: number): void {
    this.bufferedBytes -= bytes;
    const pending = this.#pending;
    const una = this.board.una;
    for (let send = pending.peek(); send !== undefined; send = pending.peek()) {
      if (seqBefore(una, send.end)) break;
      pending.shift();
      this.counters.messagesAcknowledged++;
      send.resolve(send.length);
    }
    const waiting = this.#waiting;
    for (let next = waiting.peek(); next !== undefined; next = waiting.peek()) {
      if (!this.#hasRoom(next.length)) return;
      waiting.shift();
      this.#segmentize(next);
    }
  }

  /** Segments every waiting message, whatever the limit (the flow is ending). */
  flush(): void {
    for (const waiting of this.#waiting.takeAll()) this.#segmentize(waiting);
  }

  /** Rejects every pending and waiting send. */
  fail(error: () => Error): void {
    const pending = this.#pending.takeAll();
    for (const waiting of this.#waiting.takeAll()) pending.push(waiting);
    this.bufferedBytes = 0;
    for (const send of pending) send.reject(error());
  }

  #hasRoom(size: number): boolean {
    return this.bufferedBytes === 0 || this.bufferedBytes + size <= this.settings.sendBufferLimit;
  }

  #segmentize(pending: PendingSend): void {
    const payload = pending.payload as Uint8Array;
    pending.payload = undefined;
    const fragment = this.settings.fragmentSize;
    const length = payload.length;
    let seq = seqAdd(this.board.una, this.board.count);
    let offset = 0;
    do {
      const end = Math.min(offset + fragment, length);
      const flags = (offset === 0 ? FLAG_FIRST : 0) | (end === length ? FLAG_LAST : 0);
      // A message of one segment (most are) is copied in whole, without a view made of it.
      const part = end - offset === length ? payload : payload.subarray(offset, end);
      const datagram = encodeData(this.incarnation, seq, 0, this.epoch, flags, part);
      this.board.push(datagram);
      this.bufferedBytes += datagram.length;
      seq = seqAdd(seq, 1);
      offset = end;
    } while (offset < length);
    pending.end = seq;
    this.#pending.push(pending);
  }
}
