import type { Endpoint } from '../endpoint/endpoint.js';
import { AbortError } from '../errors.js';
import type { SocketError } from '../errors.js';
import type { Settle } from '../internal/deadline.js';
import { ItemQueue } from '../internal/item-queue.js';
import { datagramDrop } from '../internal/channels.js';
import type { DatagramReceiveOptions, ReceivedDatagram } from './options.js';
import { DEFAULT_RECV_SIZE } from './options.js';
import type { DatagramSink } from './transport.js';

/**
 * The receiving side of a datagram socket: datagrams held for the application in a queue
 * bounded in datagrams and in payload bytes, the one-slot pending error (like SO_ERROR), and
 * the receive counters.
 */
export class Inbox implements DatagramSink {
  readonly #queue: ItemQueue<ReceivedDatagram>;
  readonly #limit: number;
  readonly #byteLimit: number;
  /** Payload bytes of the datagrams held. */
  #held = 0;
  #error: SocketError | undefined;
  // The batch of a recvMany that waited and was just handed its first datagram: the datagrams
  // that come with that one (in the same receive batch, before its promise settles) join it
  // rather than going to receives made after it, up to its `#collectMax` (never past the
  // queue's limit). Not counted against the byte limit: the batch belongs to a receive that
  // asked, and lives only until its promise settles, in the microtasks run once the callback
  // that delivered the first datagram returns, so it takes at most one native receive batch
  // (RECV_BATCH datagrams, each at most 64 KiB) or, over node:dgram, no more than the first.
  #collecting: ReceivedDatagram[] | undefined;
  #collectMax = 0;
  received = 0;
  bytesReceived = 0;
  dropped = 0;
  truncated = 0;

  /**
   * @param limit the most datagrams held while nobody receives
   * @param byteLimit the most payload bytes held while nobody receives
   */
  constructor(limit: number, byteLimit: number) {
    this.#limit = limit;
    this.#byteLimit = byteLimit;
    this.#queue = new ItemQueue<ReceivedDatagram>(limit);
  }

  /** The most datagrams held while nobody receives. */
  get limit(): number {
    return this.#limit;
  }

  /** The most payload bytes held while nobody receives. */
  get byteLimit(): number {
    return this.#byteLimit;
  }

  /** Takes in a datagram from `host`:`port`: the hot path, kept to the minimum. */
  pushFrom(data: Buffer, host: string, port: number): void {
    this.received++;
    this.bytesReceived += data.length;
    const queue = this.#queue;
    const collecting = this.#collecting;
    if (
      collecting !== undefined &&
      collecting.length < this.#collectMax &&
      this.#error === undefined &&
      !queue.failed
    ) {
      collecting.push({ data, sender: { host, port }, truncated: false });
      return;
    }
    if (queue.waiting === 0) {
      // Held: checked before the record is built, so that a flood beyond the bounds allocates
      // nothing.
      const held = this.#held + data.length;
      if (queue.length >= this.#limit || held > this.#byteLimit) {
        this.dropped++;
        if (datagramDrop.hasSubscribers) datagramDrop.publish({ remote: { host, port }, data });
        return;
      }
      if (queue.push({ data, sender: { host, port }, truncated: false })) this.#held = held;
      else this.dropped++;
      return;
    }
    // Handed to the receive that waits (or refused once closed).
    if (!queue.push({ data, sender: { host, port }, truncated: false })) {
      this.dropped++;
    }
  }

  /**
   * An error the system reported later: it rejects the longest-waiting receive, or else waits
   * for the next receive or send. A newer report replaces one nobody has seen, as SO_ERROR does.
   */
  report(error: SocketError): void {
    if (!this.#queue.rejectNext(error)) this.#error = error;
  }

  /** Hands out the reported error, once; undefined when there is none. */
  takeError(): SocketError | undefined {
    const error = this.#error;
    this.#error = undefined;
    return error;
  }

  /**
   * A held datagram, taken now without a promise (whole: for receives of the default size);
   * undefined when none is held or when an error waits to be reported, which a receive that
   * waits then reports.
   */
  poll(): ReceivedDatagram | undefined {
    return this.#error === undefined ? this.#shiftHeld() : undefined;
  }

  /**
   * The next datagram, cut to `bufsize`. A held datagram is served at once, without a timer;
   * otherwise the receive waits its turn, bounded by `options`.
   */
  receive(
    bufsize: number,
    options: DatagramReceiveOptions,
    what: string,
    endpoint: Endpoint,
  ): Promise<ReceivedDatagram> {
    const refused = this.#refusal(options, what, endpoint);
    if (refused !== undefined) return Promise.reject(refused);
    const held = this.#shiftHeld();
    if (held !== undefined) return Promise.resolve(this.#cut(held, bufsize));
    const next = this.#queue.take(options, what, endpoint);
    // The default size fits any datagram: no cut, so no extra promise on the common path.
    if (bufsize >= DEFAULT_RECV_SIZE) return next;
    return next.then((datagram) => this.#cut(datagram, bufsize));
  }

  /**
   * Hands `waiter` the next whole datagram (a receive of the default size without a deadline,
   * settling `waiter` instead of a promise of its own), or the reported error.
   */
  receiveInto(waiter: Settle<ReceivedDatagram>): void {
    const refused = this.takeError();
    if (refused !== undefined) {
      waiter.reject(refused);
      return;
    }
    const held = this.#shiftHeld();
    if (held === undefined) this.#queue.wait(waiter);
    else waiter.resolve(held);
  }

  /**
   * Up to `max` whole datagrams: those held, at once; else the next to arrive together with
   * the ones that arrived with it (a receive batch of the native path). Waits as
   * {@link receive} does, and stops short of a reported error, which the next receive gets.
   */
  receiveMany(
    max: number,
    options: DatagramReceiveOptions,
    what: string,
    endpoint: Endpoint,
  ): Promise<ReceivedDatagram[]> {
    const refused = this.#refusal(options, what, endpoint);
    if (refused !== undefined) return Promise.reject(refused);
    if (this.#queue.length > 0) return Promise.resolve(this.#drain([], max));
    const batch: ReceivedDatagram[] = [];
    return this.#queue
      .take(options, what, endpoint, (first) => {
        // From now on the datagrams that arrive join this batch, in order, before any receive
        // made after this one gets one.
        batch.push(first);
        this.#collecting = batch;
        this.#collectMax = Math.min(max, this.#limit);
      })
      .then(() => {
        if (this.#collecting === batch) this.#collecting = undefined;
        return this.#drain(batch, max);
      });
  }

  /**
   * Ends receiving: waiting and later receives reject with an error from `makeError`; held
   * datagrams are discarded and counted as dropped.
   */
  close(makeError: () => Error): void {
    this.#error = undefined;
    this.dropped += this.#queue.fail(makeError, true).length;
    this.#held = 0;
  }

  /** Why a receive fails before it takes anything: aborted already, or an error reported. */
  #refusal(options: DatagramReceiveOptions, what: string, endpoint: Endpoint): Error | undefined {
    const signal = options.signal;
    if (signal?.aborted === true && !this.#queue.failed) {
      // Checked here because a held datagram would otherwise be handed out regardless.
      return new AbortError(`${what} was aborted`, { endpoint, cause: signal.reason });
    }
    return this.takeError();
  }

  /** Moves held datagrams to `list` up to `max`, stopping at a reported error. */
  #drain(list: ReceivedDatagram[], max: number): ReceivedDatagram[] {
    while (list.length < max && this.#error === undefined) {
      const held = this.#shiftHeld();
      if (held === undefined) break;
      list.push(held);
    }
    return list;
  }

  /** The oldest held datagram, taken off the queue and the held bytes; undefined if none. */
  #shiftHeld(): ReceivedDatagram | undefined {
    const held = this.#queue.tryShift();
    if (held !== undefined) this.#held -= held.data.length;
    return held;
  }

  // Berkeley semantics: the rest of a datagram longer than the buffer is discarded. A view,
  // not a copy.
  #cut(datagram: ReceivedDatagram, bufsize: number): ReceivedDatagram {
    if (datagram.data.length <= bufsize) return datagram;
    this.truncated++;
    datagram.data = datagram.data.subarray(0, bufsize);
    datagram.truncated = true;
    return datagram;
  }
}
