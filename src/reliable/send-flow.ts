import { randomInt } from 'node:crypto';
import { type PendingSend, SendBuffer } from './send-buffer.js';
import { CongestionControl, INITIAL_CWND } from './congestion.js';
import { type ReliableCounters, type ReliableSettings, SEND_LINGER } from './options.js';
import { MAX_BACKOFF_RTO, RttEstimator } from './rtt-estimator.js';
import { elapsedSince, stampOf } from './stamp.js';
import { Scoreboard, SegmentState } from './scoreboard.js';
import type { AckPacket } from './wire.js';
import { encodeFin, seqAdd, seqBefore } from './wire.js';

/** Round-trip samples above this (ms) come from a bogus echo and are ignored. */
const MAX_RTT_SAMPLE = 60_000;
/** FIN timestamps remembered to recognise the ACK of a FIN. */
const FIN_STAMPS = 8;

/** {@link SendFlow.tick}: nothing was acknowledged for the peer timeout while segments were outstanding. */
export const TICK_UNREACHABLE = -1;
/** {@link SendFlow.tick}: the flow is finished (FIN acknowledged, or idle past its linger). */
export const TICK_DONE = -2;

/**
 * The messages one socket sends to one peer: one incarnation, its segments from the first
 * unacknowledged on, the sends waiting for the peer's acknowledgement, and the round-trip,
 * congestion and window state that decide when segments go out (docs/reliable-protocol.md,
 * "Sender").
 */
export class SendFlow {
  readonly incarnation = randomInt(0, 2 ** 32);
  readonly rtt: RttEstimator;
  readonly cc = new CongestionControl();
  readonly board = new Scoreboard();
  /** The window the peer last advertised, in segments past {@link Scoreboard.una}. */
  peerWindow = INITIAL_CWND;
  readonly buffer: SendBuffer;
  /** When an ACK last made progress (or the flow last started sending from idle). */
  lastProgress: number;
  /** When the retransmission timer was last (re)started. */
  #rtoBase = 0;
  #lastProbe = -Infinity;
  /** Doubles with each window probe that finds the window still shut. */
  #probeBackoff = 1;
  /** One tail probe per flight: allowed again once an ACK makes progress. */
  #tailProbeAllowed = true;
  /** Fast recovery lasts until the first unacknowledged segment reaches this. */
  #recover: number | undefined;
  #finSeq: number | undefined;
  readonly #finStamps: number[] = [];
  #finSentAt = -Infinity;
  #finAcked = false;
  /** True once any ACK of this flow arrived: the receiver has (had) the flow. */
  #acknowledged = false;

  constructor(
    private readonly settings: ReliableSettings,
    private readonly counters: ReliableCounters,
    private readonly transmit: (datagram: Buffer) => void,
    now: number,
    epoch: number,
  ) {
    this.rtt = new RttEstimator(settings.minRto);
    this.buffer = new SendBuffer(this.incarnation, this.board, settings, counters);
    this.buffer.epoch = epoch;
    this.lastProgress = now;
  }

  /** The receiver's epoch this flow's datagrams carry. */
  get epoch(): number {
    return this.buffer.epoch;
  }

  /**
   * The receiver refused the flow's start for a stale epoch (RETRY): every segment takes the
   * new epoch and what was in flight is sent again at once. Returns false, changing
   * nothing, when the epoch is the one already used (a RETRY of segments sent before the first
   * was answered) or the flow was acknowledged before.
   */
  retry(epoch: number, now: number): boolean {
    // A receiver that acknowledged this flow had it: resending could deliver it twice.
    if (epoch === this.buffer.epoch || epoch === 0 || this.#acknowledged) return false;
    this.buffer.epoch = epoch;
    this.board.setEpoch(epoch);
    this.board.markAllLost();
    this.#rtoBase = now;
    if (this.#finStamps.length > 0 && !this.#finAcked) this.#sendFin(now);
    this.pump(now);
    return true;
  }

  /** True when nothing is unacknowledged and nothing waits. */
  get idle(): boolean {
    return this.board.count === 0 && this.buffer.waiting === 0;
  }

  /** True once FIN was asked for: no more messages are accepted. */
  get finishing(): boolean {
    return this.#finSeq !== undefined;
  }

  /** Takes a message; it is segmented now unless the send buffer is full. */
  accept(pending: PendingSend, now: number): void {
    this.counters.messagesSent++;
    if (this.idle) this.lastProgress = now;
    this.buffer.accept(pending);
    this.pump(now);
  }

  /** Sends what the congestion and peer windows allow: lost segments first, then new ones. */
  pump(now: number): void {
    const board = this.board;
    const cwnd = this.cc.cwnd;
    const window = this.peerWindow;
    while (board.lost > 0 && board.inFlight < cwnd) {
      const offset = board.nextLost();
      if (offset >= window) break;
      const segment = board.at(offset);
      if (segment.state === SegmentState.LostFast) this.counters.fastRetransmissions++;
      else this.counters.timeoutRetransmissions++;
      // The timeout runs from when the oldest unacknowledged segment was last sent.
      if (offset === 0) this.#rtoBase = now;
      this.#send(board.resend(offset, now), now);
    }
    while (board.sent < board.count && board.inFlight < cwnd && board.sent < window) {
      this.counters.segmentsSent++;
      this.#send(board.sendNext(now), now);
    }
    if (
      this.#finSeq !== undefined &&
      this.#finStamps.length === 0 &&
      board.sent === board.count &&
      !this.#finAcked
    ) {
      this.#sendFin(now);
    }
  }

  /**
   * Applies an ACK of this flow: releases and settles what it acknowledges, takes its
   * round-trip sample and window, grows the congestion window and looks for losses. Returns false, changing nothing, when it acknowledges what
   * was never sent or lies behind what is already acknowledged (a stale or forged ACK).
   */
  onAck(ack: AckPacket, now: number): boolean {
    const board = this.board;
    const inFlightBefore = board.inFlight;
    const released = board.acknowledge(ack.cumulative);
    if (released < 0) return false;
    this.#acknowledged = true;
    const sample = elapsedSince(ack.echo, now);
    if (sample < MAX_RTT_SAMPLE) this.rtt.sample(sample);
    let acked = 0;
    if (released > 0) {
      acked = board.newlyAcked;
      this.lastProgress = now;
      this.#rtoBase = now;
      if (this.#recover !== undefined && !seqBefore(board.una, this.#recover)) {
        this.#recover = undefined;
      }
      this.buffer.release(board.releasedBytes);
    }
    let sacked = 0;
    for (const block of ack.blocks) sacked += board.sack(block.start, block.end);
    if (sacked > 0) this.lastProgress = now;
    if (released > 0 || sacked > 0) this.#tailProbeAllowed = true;
    acked += sacked;
    // A zero window is no progress: held longer than the peer timeout, the peer is taken as
    // unreachable (the persist timer), as a receiver that never reads holds its senders forever.
    this.peerWindow = ack.window;
    if (ack.window > 0) this.#probeBackoff = 1;
    this.cc.onAcked(acked, inFlightBefore);
    if (acked > 0) this.#detectLosses(now);
    if (
      this.#finSeq !== undefined &&
      ack.cumulative === this.#finSeq &&
      this.#finStamps.includes(ack.echo)
    ) {
      this.#finAcked = true;
    }
    return true;
  }

  /**
   * Runs the flow's timers: retransmission timeout, window probe, FIN retransmission, peer
   * timeout and linger. Returns when it next needs to run, or {@link TICK_UNREACHABLE} / {@link TICK_DONE}.
   */
  tick(now: number): number {
    const board = this.board;
    if (this.done) return TICK_DONE;
    if (this.idle && this.#finSeq === undefined) {
      const until = this.lastProgress + SEND_LINGER;
      return now >= until ? TICK_DONE : until;
    }
    if (now - this.lastProgress >= this.settings.peerTimeout) return TICK_UNREACHABLE;
    if (now >= board.lossDeadline) {
      this.#detectLosses(now);
      this.pump(now);
    }
    if (now >= this.#tailProbeAt) this.#tailProbe(now);
    const rto = this.rtt.rto;
    if (board.inFlight > 0 && now >= this.#rtoBase + rto) {
      board.markAllLost();
      this.cc.onTimeout();
      this.rtt.backoff();
      this.#rtoBase = now;
      this.#recover = seqAdd(board.una, board.sent);
      this.pump(now);
    }
    const blocked = board.inFlight === 0 && (board.lost > 0 || board.sent < board.count);
    if (blocked && now >= this.#lastProbe + this.#probeInterval) {
      this.counters.windowProbes++;
      this.#lastProbe = now;
      if (this.#probeBackoff < 1024) this.#probeBackoff *= 2;
      const probe = board.lost > 0 ? board.resend(board.firstLost(), now) : board.sendNext(now);
      this.#send(probe, now);
    }
    const finPending = this.#finSeq !== undefined && this.#finStamps.length > 0 && !this.#finAcked;
    if (finPending && now >= this.#finSentAt + this.rtt.rto) {
      this.rtt.backoff();
      this.#sendFin(now);
    }
    let next = this.lastProgress + this.settings.peerTimeout;
    if (board.inFlight > 0) {
      next = Math.min(next, this.#rtoBase + this.rtt.rto, board.lossDeadline, this.#tailProbeAt);
    }
    if (board.inFlight === 0 && (board.lost > 0 || board.sent < board.count)) {
      next = Math.min(next, this.#lastProbe + this.#probeInterval);
    }
    if (finPending) next = Math.min(next, this.#finSentAt + this.rtt.rto);
    return next;
  }

  /** The earliest time the flow's timers matter, for arming the peer's timer after a send. */
  get nextDeadline(): number {
    const board = this.board;
    if (board.inFlight > 0) {
      return Math.min(this.#rtoBase + this.rtt.rto, board.lossDeadline, this.#tailProbeAt);
    }
    return this.lastProgress + (this.idle ? SEND_LINGER : this.settings.peerTimeout);
  }

  /**
   * Ends the flow: everything waiting is segmented (the send buffer limit no longer applies)
   * and FIN follows the last segment.
   */
  finish(now: number): void {
    if (this.#finSeq !== undefined) return;
    this.buffer.flush();
    this.#finSeq = seqAdd(this.board.una, this.board.count);
    this.pump(now);
  }

  /** True once FIN was sent and acknowledged and nothing is outstanding. */
  get done(): boolean {
    return this.#finAcked && this.board.count === 0;
  }

  /** Rejects every pending and waiting send with `error` and drops all segments. */
  fail(error: () => Error): void {
    this.board.clear();
    this.buffer.fail(error);
  }

  /**
   * How long between window probes: an RTO, doubling while the window stays shut, up to 2 s
   * and to a quarter of the peer timeout (so that a window that opens is seen before the peer
   * timeout ends the flow).
   */
  get #probeInterval(): number {
    const interval = this.rtt.rto * this.#probeBackoff;
    return Math.min(interval, MAX_BACKOFF_RTO, this.settings.peerTimeout / 4);
  }

  #detectLosses(now: number): void {
    const srtt = this.rtt.srtt;
    const patience = srtt + Math.max(srtt / 4, 1);
    if (this.board.detectLosses(now, patience) && this.#recover === undefined) {
      this.cc.onLoss();
      this.#recover = seqAdd(this.board.una, this.board.sent);
    }
  }

  /**
   * When to send a tail probe: two round trips after the last progress, if that comes before
   * the retransmission timeout. A flight whose last segments (or their ACKs) were lost gets no
   * ACK that would reveal the loss; a probe draws one, so that the loss is found by SACK
   * instead of a timeout that would collapse the window.
   */
  get #tailProbeAt(): number {
    if (!this.#tailProbeAllowed || this.board.inFlight === 0 || this.rtt.srtt === 0) {
      return Infinity;
    }
    const at = this.#rtoBase + Math.max(2 * this.rtt.srtt, 1);
    return at < this.#rtoBase + this.rtt.rto ? at : Infinity;
  }

  /** Sends the next new segment the peer's window allows, or else the newest one again. */
  #tailProbe(now: number): void {
    const board = this.board;
    this.#tailProbeAllowed = false;
    this.counters.tailProbes++;
    if (board.sent < board.count && board.sent < this.peerWindow) {
      this.counters.segmentsSent++;
      this.#send(board.sendNext(now), now);
    } else {
      this.transmit(board.resendNewest(now));
    }
    this.#rtoBase = now;
  }

  #send(datagram: Buffer, now: number): void {
    if (this.board.inFlight === 1) this.#rtoBase = now;
    this.transmit(datagram);
  }

  #sendFin(now: number): void {
    const stamp = stampOf(now);
    if (this.#finStamps.length >= FIN_STAMPS) this.#finStamps.shift();
    this.#finStamps.push(stamp);
    this.#finSentAt = now;
    this.transmit(encodeFin(this.incarnation, this.#finSeq as number, stamp, this.buffer.epoch));
  }
}
