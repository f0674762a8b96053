import type { DeliveryQueue } from './delivery-queue.js';
import { reliableDeliver } from '../internal/channels.js';
import type { ReliableCounters, ReliableSettings } from './options.js';
import { EVICTABLE_IDLE, RECEIVE_IDLE_TIMEOUT } from './options.js';
import type { Peer } from './peer.js';
import { DataResult, type HeldBudget, ReceiveFlow } from './receive-flow.js';
import { Tombstones } from './tombstones.js';
import type { DataPacket, FinPacket } from './wire.js';
import {
  DATA_HEADER_SIZE,
  encodeAck,
  encodeReset,
  encodeRetry,
  FIN_SIZE,
  MAX_SACK_BLOCKS,
  sackBlocksAnswering,
  seqDistance,
} from './wire.js';

const NO_BLOCKS: [] = [];

/** What the receiving side needs from the engine around it. */
export interface ReceiveHooks {
  /** Forgets `peer` if it holds nothing any more. */
  settle(peer: Peer, now: number): void;
  /** Makes the peer's timer fire by `at` (for a flow's idle timeout). */
  arm(peer: Peer, at: number, now: number): void;
}

/**
 * The receiving half of a reliable socket (docs/reliable-protocol.md, "Receiver"): it starts,
 * feeds, completes and refuses incoming flows, remembers ended ones, and sends their ACKs:
 * one per batch of datagrams (at the end of the event-loop turn), at once when a segment
 * arrives out of order.
 */
export class ReceiveSide {
  readonly #tombstones: Tombstones;
  /** Every open flow, for eviction when the table is full. */
  readonly #flows = new Set<ReceiveFlow<Peer>>();
  readonly #budget: HeldBudget;
  readonly #reassembly: HeldBudget;
  /** Open flows per source address (whatever the port), for `maxFlowsPerAddress`. */
  readonly #flowsPerAddress = new Map<string, number>();
  readonly #ackQueue: ReceiveFlow[] = [];
  /** Flows told of a window of 0 because the delivery queue was full: told again when it opens. */
  readonly #heldBack = new Set<ReceiveFlow>();
  #ackScheduled: NodeJS.Immediate | undefined;

  constructor(
    private readonly settings: ReliableSettings,
    private readonly counters: ReliableCounters,
    private readonly deliveries: DeliveryQueue,
    private readonly hooks: ReceiveHooks,
  ) {
    this.#tombstones = new Tombstones(settings.flowRecordLimit);
    this.#budget = { used: 0, limit: settings.outOfOrderLimit };
    this.#reassembly = { used: 0, limit: settings.reassemblyLimit };
  }

  /** The receiver's current epoch, carried by every ACK. */
  get epoch(): number {
    return this.#tombstones.epoch;
  }

  /** Bytes held out of order across all flows. */
  get heldBytes(): number {
    return this.#budget.used;
  }

  /** Bytes of unfinished messages across all flows. */
  get assemblyBytes(): number {
    return this.#reassembly.used;
  }

  /** A read made room in `flow`: tell its sender if its window had (nearly) closed. */
  onRead(flow: ReceiveFlow): void {
    // An unfinished message that waited for the application's read did not stall: its clock
    // of no progress starts again.
    if (flow.assembling) flow.lastAdvance = performance.now();
    if (
      flow.lastAdvertised * 4 <= this.settings.receiveWindow &&
      flow.window > flow.lastAdvertised
    ) {
      // Not an answer to a datagram: the ACK may carry every block.
      flow.ackTrigger = Infinity;
      this.#scheduleAck(flow);
    }
  }

  /**
   * The delivery queue has room again: every flow it held back hears of its window at once,
   * rather than at its sender's next probe, and its clock of no progress starts again.
   */
  onRoom(): void {
    const now = performance.now();
    for (const flow of this.#heldBack) {
      flow.lastAdvance = now;
      flow.ackTrigger = Infinity;
      this.#scheduleAck(flow);
    }
    this.#heldBack.clear();
  }

  /**
   * Frees the flows of `peer` idle for the idle timeout, and those that delivered nothing or
   * hold an unfinished message and did not advance for the new-flow timeout; returns the next
   * such deadline.
   */
  expire(peer: Peer, now: number): number {
    let next = Infinity;
    for (const flow of peer.flows.values()) {
      const until = this.#expiry(flow);
      if (now >= until) {
        this.counters.flowsEvicted++;
        this.endFlow(peer, flow, true);
      } else if (until < next) next = until;
    }
    return next;
  }

  #expiry(flow: ReceiveFlow): number {
    const idle = flow.lastReceived + RECEIVE_IDLE_TIMEOUT;
    // An unfinished message holds reassembly budget: it must keep advancing, unless messages
    // the application has not read take its whole window.
    if (flow.proven && (!flow.assembling || flow.waitsForReader)) return idle;
    const unproven = flow.lastAdvance + this.settings.newFlowTimeout;
    return unproven < idle ? unproven : idle;
  }

  /** Drops every flow of `peer` (the socket is closing). */
  dropAll(peer: Peer): void {
    for (const flow of peer.flows.values()) {
      flow.clear();
      this.#flows.delete(flow);
      this.#heldBack.delete(flow);
    }
    this.#forgetFlows(peer.host, peer.flows.size);
    peer.flows.clear();
    peer.lastFlow = undefined;
  }

  /** Forgets everything, cancelling the pending ACKs. */
  clear(): void {
    for (const flow of this.#flows) flow.clear();
    this.#flows.clear();
    this.#heldBack.clear();
    this.#flowsPerAddress.clear();
    this.#tombstones.clear();
    if (this.#ackScheduled !== undefined) clearImmediate(this.#ackScheduled);
    this.#ackScheduled = undefined;
    this.#ackQueue.length = 0;
  }

  onData(peer: Peer, packet: DataPacket, now: number): void {
    this.counters.segmentsReceived++;
    if (packet.payload.length > this.settings.fragmentSize) {
      // No honest sender cuts larger segments: holding them would multiply the window's memory.
      this.counters.malformedDatagrams++;
      return;
    }
    let flow = peer.lastFlow;
    if (flow === undefined || flow.incarnation !== packet.incarnation) {
      flow = peer.flows.get(packet.incarnation) ?? this.#newFlow(peer, packet, now);
      if (flow === undefined) return;
      peer.lastFlow = flow;
    }
    const bytes = packet.payload.length + DATA_HEADER_SIZE;
    if (bytes > flow.ackTrigger) flow.ackTrigger = bytes;
    switch (flow.onData(packet, now)) {
      case DataResult.InOrder:
        flow.lastAdvance = now;
        if (flow.complete) {
          this.#completeFlow(peer, flow, now);
          return;
        }
        // An unfinished message expires when it stops advancing: the timer must look by then.
        if (flow.assembling) this.hooks.arm(peer, now + this.settings.newFlowTimeout, now);
        this.#scheduleAck(flow);
        return;
      case DataResult.Held:
        this.#sendAck(flow);
        return;
      case DataResult.Duplicate:
        this.counters.duplicatesSuppressed++;
        this.#scheduleAck(flow);
        return;
      case DataResult.BeyondWindow:
        this.counters.segmentsBeyondWindow++;
        this.#scheduleAck(flow);
        return;
      case DataResult.OverBudget:
        this.counters.segmentsOverBudget++;
        return;
      case DataResult.ReassemblyFull:
        this.counters.fragmentsOverBudget++;
        // A flow that holds no unfinished message costs no reassembly bytes: it waits for room
        // without its clock of no progress running out (unfinished messages expire first).
        if (!flow.assembling) flow.lastAdvance = now;
        return;
      case DataResult.QueueFull:
        this.counters.segmentsQueueFull++;
        // The flow waits for the application to read, which is no stall of its own.
        flow.lastAdvance = now;
        this.#scheduleAck(flow);
        return;
      case DataResult.Broken:
        this.endFlow(peer, flow, true);
        this.#sendReset(peer, flow.incarnation);
        this.hooks.settle(peer, now);
    }
  }

  /** A flow for DATA of an unknown incarnation, or undefined when it was answered instead. */
  #newFlow(peer: Peer, packet: DataPacket, now: number): ReceiveFlow<Peer> | undefined {
    const tombstone = this.#tombstones.get(peer.key, packet.incarnation);
    if (tombstone !== undefined) {
      if (tombstone.reset) {
        this.#sendReset(peer, packet.incarnation);
      } else {
        this.counters.duplicatesSuppressed++;
        this.#transmitAck(peer, packet.incarnation, tombstone.finalSeq, 0, packet.timestamp);
      }
      this.hooks.settle(peer, now);
      return undefined;
    }
    // A flow may start only with a fresh epoch: the records of flows that carried older ones
    // are gone, so such a datagram may be the replay of a flow that ended. (Checked before
    // the start: every segment of a sender's first burst draws the RETRY, not a RESET.)
    if (!this.#tombstones.fresh(packet.epoch)) {
      this.counters.retriesSent++;
      peer.transmit(encodeRetry(packet.incarnation, this.#tombstones.epoch));
      this.hooks.settle(peer, now);
      return undefined;
    }
    const settings = this.settings;
    // A new flow starts at 0; a segment from further on belongs to a flow this receiver has
    // forgotten (or never had), which it cannot complete: it refuses it.
    const fromAddress = this.#flowsPerAddress.get(peer.host) ?? 0;
    if (
      packet.seq >= settings.receiveWindow ||
      peer.flows.size >= settings.maxFlowsPerPeer ||
      fromAddress >= settings.maxFlowsPerAddress
    ) {
      this.counters.flowsRefused++;
      this.#sendReset(peer, packet.incarnation);
      this.hooks.settle(peer, now);
      return undefined;
    }
    if (this.#flows.size >= settings.maxFlows && !this.#evictOne(now)) {
      // Nothing can make room now: unanswered, the sender retries after its timeout.
      this.counters.flowsRefused++;
      this.hooks.settle(peer, now);
      return undefined;
    }
    const flow = new ReceiveFlow(
      peer,
      packet.incarnation,
      settings.receiveWindow,
      settings.maxMessageSize,
      this.#deliver,
      this.#budget,
      this.#reassembly,
      this.deliveries,
      now,
    );
    peer.flows.set(packet.incarnation, flow);
    this.#flows.add(flow);
    this.#flowsPerAddress.set(peer.host, fromAddress + 1);
    this.hooks.arm(peer, now + settings.newFlowTimeout, now);
    return flow;
  }

  /**
   * Makes room in a full flow table: frees the flow that has delivered nothing and advanced
   * least recently, else the flow idle longest if it has been idle for {@link EVICTABLE_IDLE}.
   * Returns false when no flow may go.
   */
  #evictOne(now: number): boolean {
    let unproven: ReceiveFlow<Peer> | undefined;
    let idle: ReceiveFlow<Peer> | undefined;
    for (const flow of this.#flows) {
      if (!flow.proven) {
        if (unproven === undefined || flow.lastAdvance < unproven.lastAdvance) unproven = flow;
      } else if (idle === undefined || flow.lastReceived < idle.lastReceived) {
        idle = flow;
      }
    }
    const victim =
      unproven ??
      (idle !== undefined && now - idle.lastReceived >= EVICTABLE_IDLE ? idle : undefined);
    if (victim === undefined) return false;
    this.counters.flowsEvicted++;
    const peer = victim.peer;
    this.endFlow(peer, victim, true);
    this.hooks.settle(peer, now);
    return true;
  }

  readonly #deliver = (flow: ReceiveFlow, data: Buffer, segments: number): void => {
    this.counters.messagesReceived++;
    flow.proven = true;
    const sender = { host: flow.peer.host, port: flow.peer.port };
    if (reliableDeliver.hasSubscribers) reliableDeliver.publish({ remote: sender, data });
    this.deliveries.deliver({ data, sender, truncated: false }, flow, segments);
  };

  onFin(peer: Peer, packet: FinPacket, now: number): void {
    const flow = peer.flows.get(packet.incarnation);
    if (flow !== undefined) {
      if (seqDistance(flow.cumulative, packet.seq) >= 0x80000000) {
        // A FIN before what already arrived contradicts the flow: ignored.
        this.counters.strayDatagrams++;
        return;
      }
      flow.lastReceived = now;
      flow.echo = packet.timestamp;
      flow.finSeq = packet.seq;
      if (FIN_SIZE > flow.ackTrigger) flow.ackTrigger = FIN_SIZE;
      if (flow.complete) this.#completeFlow(peer, flow, now);
      else this.#scheduleAck(flow);
      return;
    }
    const tombstone = this.#tombstones.get(peer.key, packet.incarnation);
    if (tombstone !== undefined && !tombstone.reset) {
      this.#transmitAck(peer, packet.incarnation, tombstone.finalSeq, 0, packet.timestamp);
    } else {
      // Acknowledging a FIN of an unknown flow would tell its sender that data arrived.
      this.#sendReset(peer, packet.incarnation);
    }
    this.hooks.settle(peer, now);
  }

  #completeFlow(peer: Peer, flow: ReceiveFlow<Peer>, now: number): void {
    this.#sendAck(flow);
    this.#tombstones.add(peer.key, flow.incarnation, flow.cumulative, false);
    this.endFlow(peer, flow, false);
    this.hooks.settle(peer, now);
  }

  /**
   * Frees `flow`. Every flow that ends is remembered (a completed one by its caller), so that
   * no datagram of it is delivered again or starts a new flow.
   */
  endFlow(peer: Peer, flow: ReceiveFlow<Peer>, reset: boolean): void {
    if (reset) this.#tombstones.add(peer.key, flow.incarnation, 0, true);
    flow.clear();
    if (peer.flows.delete(flow.incarnation)) this.#forgetFlows(peer.host, 1);
    this.#flows.delete(flow);
    this.#heldBack.delete(flow);
    if (peer.lastFlow === flow) peer.lastFlow = undefined;
  }

  #forgetFlows(host: string, count: number): void {
    const left = (this.#flowsPerAddress.get(host) ?? 0) - count;
    if (left > 0) this.#flowsPerAddress.set(host, left);
    else this.#flowsPerAddress.delete(host);
  }

  #scheduleAck(flow: ReceiveFlow): void {
    if (flow.ackPending) return;
    flow.ackPending = true;
    this.#ackQueue.push(flow);
    this.#ackScheduled ??= setImmediate(this.#flushAcks);
  }

  readonly #flushAcks = (): void => {
    this.#ackScheduled = undefined;
    const flows = this.#ackQueue;
    for (let i = 0; i < flows.length; i++) {
      const flow = flows[i] as ReceiveFlow;
      if (flow.ackPending && flow.alive) this.#sendAck(flow);
    }
    flows.length = 0;
  };

  #sendAck(flow: ReceiveFlow): void {
    flow.ackPending = false;
    const window = flow.window;
    flow.lastAdvertised = window;
    if (window === 0 && this.deliveries.full) this.#heldBack.add(flow);
    // No answer much larger than what triggered it: the SACK blocks fit twice its size.
    const trigger = flow.ackTrigger;
    const blocks = flow.sackBlocks(
      trigger === Infinity ? MAX_SACK_BLOCKS : sackBlocksAnswering(trigger),
    );
    flow.ackTrigger = 0;
    this.counters.acksSent++;
    flow.peer.transmit(
      encodeAck(flow.incarnation, flow.cumulative, window, flow.echo, this.epoch, blocks),
    );
  }

  #transmitAck(
    peer: Peer,
    incarnation: number,
    cumulative: number,
    window: number,
    echo: number,
  ): void {
    this.counters.acksSent++;
    peer.transmit(encodeAck(incarnation, cumulative, window, echo, this.epoch, NO_BLOCKS));
  }

  #sendReset(peer: Peer, incarnation: number): void {
    this.counters.resetsSent++;
    peer.transmit(encodeReset(incarnation));
  }
}
