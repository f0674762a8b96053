import { Fifo } from '../internal/fifo.js';
import { reEpoch, restamp, seqAdd, seqDistance } from './wire.js';
import { reliableRetransmit } from '../internal/channels.js';
import { stampOf } from './stamp.js';

/** Where a segment stands. */
export const enum SegmentState {
  Unsent = 0,
  InFlight = 1,
  /** Selectively acknowledged: arrived, waiting for the cumulative acknowledgement. */
  Sacked = 2,
  /** Taken as lost because three segments sent after it were acknowledged. */
  LostFast = 3,
  /** Taken as lost at a retransmission timeout. */
  LostTimeout = 4,
}

/** One DATA segment of a send flow, kept until cumulatively acknowledged. */
export interface Segment {
  /**
   * The encoded datagram. Once sent it is never written again: a send may still hold it (the
   * native path sends at the next tick, a full socket queues it), so a segment sent again or
   * given a new epoch after a send gets a copy (see {@link writable}).
   */
  datagram: Buffer;
  state: SegmentState;
  /** When it was last sent (ms). */
  sentAt: number;
  /** Transmission number of its last send: later sends have larger numbers. */
  order: number;
  /** True while a send may still hold `datagram` (it was handed out since it was last copied). */
  handedOut: boolean;
  retransmitted: boolean;
}

/**
 * The sender's scoreboard: the segments from the first unacknowledged one (`una`) on, in
 * sequence order, each in flight, selectively acknowledged, lost or not yet sent.
 *
 * Loss is detected as the protocol says: "three segments sent after it acknowledged" (the
 * transmission numbers of the three latest-sent segments ever acknowledged are kept, and an
 * in-flight segment sent before the third of them is lost), or "a segment sent after it
 * acknowledged, and a round trip and a quarter passed". Both hold for retransmissions too, so
 * a retransmitted segment is taken as lost again only a round trip later.
 */
export class Scoreboard {
  /** The first unacknowledged sequence number. */
  una = 0;
  /** Segments from `una` sent at least once (the rest are unsent). */
  sent = 0;
  inFlight = 0;
  lost = 0;
  /** Set by {@link acknowledge}: segments released that had not been SACKed, and their bytes. */
  newlyAcked = 0;
  releasedBytes = 0;
  /** When an in-flight segment will have waited long enough to be taken as lost (ms). */
  lossDeadline = Infinity;
  readonly #segments = new Fifo<Segment>();
  #lostFrom = 0;
  #order = 0;
  #acked1 = -1;
  #acked2 = -1;
  #acked3 = -1;

  /** Segments held: unacknowledged, sent or not. */
  get count(): number {
    return this.#segments.length;
  }

  at(offset: number): Segment {
    return this.#segments.at(offset) as Segment;
  }

  push(datagram: Buffer): void {
    this.#segments.push({
      datagram,
      state: SegmentState.Unsent,
      sentAt: 0,
      order: 0,
      handedOut: false,
      retransmitted: false,
    });
  }

  /** Marks the first unsent segment sent and returns its datagram, stamped. */
  sendNext(now: number): Buffer {
    const segment = this.at(this.sent++);
    segment.state = SegmentState.InFlight;
    this.inFlight++;
    return this.#stamp(segment, now);
  }

  /** Marks the lost segment at `offset` sent again and returns its datagram, stamped. */
  resend(offset: number, now: number): Buffer {
    const segment = this.at(offset);
    segment.state = SegmentState.InFlight;
    segment.retransmitted = true;
    if (reliableRetransmit.hasSubscribers)
      reliableRetransmit.publish({ size: segment.datagram.length });
    this.lost--;
    this.inFlight++;
    this.#lostFrom = offset + 1;
    return this.#stamp(segment, now);
  }

  /** Sends the newest in-flight segment again, as a tail probe (call when inFlight > 0). */
  resendNewest(now: number): Buffer {
    let offset = this.sent - 1;
    while (offset > 0 && this.at(offset).state !== SegmentState.InFlight) offset--;
    const segment = this.at(offset);
    segment.retransmitted = true;
    if (reliableRetransmit.hasSubscribers)
      reliableRetransmit.publish({ size: segment.datagram.length });
    return this.#stamp(segment, now);
  }

  /** The offset of the next lost segment at or after the resend cursor (call when lost > 0). */
  nextLost(): number {
    let offset = this.#lostFrom;
    while (offset < this.sent) {
      const state = this.at(offset).state;
      if (state === SegmentState.LostFast || state === SegmentState.LostTimeout) break;
      offset++;
    }
    this.#lostFrom = offset;
    return offset;
  }

  /** The offset of the first lost segment (call when lost > 0). */
  firstLost(): number {
    this.#lostFrom = 0;
    return this.nextLost();
  }

  /**
   * Releases the segments before `cumulative`. Returns how many, or -1 when `cumulative` lies
   * behind `una` or past what was sent.
   */
  acknowledge(cumulative: number): number {
    const advance = seqDistance(this.una, cumulative);
    if (advance > this.sent) return -1;
    this.newlyAcked = 0;
    this.releasedBytes = 0;
    if (advance === 0) return 0;
    const segments = this.#segments;
    for (let i = 0; i < advance; i++) {
      const segment = segments.shift() as Segment;
      this.releasedBytes += segment.datagram.length;
      if (segment.state !== SegmentState.Sacked) this.#settle(segment);
    }
    this.sent -= advance;
    this.#lostFrom = Math.max(0, this.#lostFrom - advance);
    this.una = cumulative >>> 0;
    return advance;
  }

  /** Applies one SACK block; returns how many segments it newly acknowledged. */
  sack(start: number, end: number): number {
    const from = seqDistance(this.una, start);
    const to = Math.min(seqDistance(this.una, end), this.sent);
    let acked = 0;
    for (let offset = from; offset < to; offset++) {
      const segment = this.at(offset);
      if (segment.state === SegmentState.Sacked) continue;
      this.#settle(segment);
      segment.state = SegmentState.Sacked;
      acked++;
    }
    return acked;
  }

  /**
   * Marks lost the in-flight segments sent before the third-latest acknowledged one, and
   * those sent before the latest acknowledged one that have been out for `patience` ms (a
   * round trip plus an allowance for reordering). Returns whether any was found;
   * {@link lossDeadline} tells when the next would be, for the timer.
   */
  detectLosses(now: number, patience: number): boolean {
    this.lossDeadline = Infinity;
    const latest = this.#acked1;
    if (latest < 0) return false;
    const third = this.#acked3;
    let found = false;
    for (let offset = 0; offset < this.sent; offset++) {
      const segment = this.at(offset);
      if (segment.state !== SegmentState.InFlight) continue;
      if (segment.order < latest) {
        const due = segment.sentAt + patience;
        if (segment.order < third || due <= now) {
          segment.state = SegmentState.LostFast;
          this.inFlight--;
          this.lost++;
          if (offset < this.#lostFrom) this.#lostFrom = offset;
          found = true;
        } else if (due < this.lossDeadline) {
          this.lossDeadline = due;
        }
      } else if (!segment.retransmitted) {
        // Originals go out in sequence order: every later one was sent later still.
        break;
      }
    }
    return found;
  }

  /** Rewrites the receiver's epoch in every segment held. */
  setEpoch(epoch: number): void {
    for (let offset = 0; offset < this.#segments.length; offset++) {
      reEpoch(writable(this.#segments.at(offset) as Segment), epoch);
    }
  }

  /** A retransmission timeout: everything in flight is taken as lost. */
  markAllLost(): void {
    for (let offset = 0; offset < this.sent; offset++) {
      const segment = this.at(offset);
      if (segment.state !== SegmentState.InFlight) continue;
      segment.state = SegmentState.LostTimeout;
      this.lost++;
    }
    this.inFlight = 0;
    this.lossDeadline = Infinity;
    this.#lostFrom = 0;
  }

  clear(): void {
    this.una = seqAdd(this.una, this.count);
    this.#segments.clear();
    this.sent = 0;
    this.inFlight = 0;
    this.lost = 0;
    this.#lostFrom = 0;
  }

  /** Takes a segment in flight or lost out of those counts and notes it acknowledged. */
  #settle(segment: Segment): void {
    if (segment.state === SegmentState.InFlight) this.inFlight--;
    else if (segment.state !== SegmentState.Unsent) this.lost--;
    this.newlyAcked++;
    const order = segment.order;
    if (order > this.#acked1) {
      this.#acked3 = this.#acked2;
      this.#acked2 = this.#acked1;
      this.#acked1 = order;
    } else if (order > this.#acked2) {
      this.#acked3 = this.#acked2;
      this.#acked2 = order;
    } else if (order > this.#acked3) {
      this.#acked3 = order;
    }
  }

  #stamp(segment: Segment, now: number): Buffer {
    const datagram = writable(segment);
    segment.sentAt = now;
    segment.order = ++this.#order;
    segment.handedOut = true;
    restamp(datagram, stampOf(now));
    return datagram;
  }
}

/**
 * The datagram of `segment`, to be written: the one it holds if no send may hold it, else a
 * copy it holds from now on. Written in place, a datagram still waiting to leave would go out
 * with the new timestamp: two copies with one stamp, and an RTT measured from the later send.
 */
function writable(segment: Segment): Buffer {
  if (segment.handedOut) {
    segment.datagram = Buffer.from(segment.datagram);
    segment.handedOut = false;
  }
  return segment.datagram;
}
