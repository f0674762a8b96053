import { AckSender } from './ack-sender.js';
import type { DeliveryQueue } from './delivery-queue.js';
import { FlowTable } from './flow-table.js';
import { reliableDeliver } from '../internal/channels.js';
import type { ReliableCounters, ReliableSettings } from './options.js';
import { RECEIVE_IDLE_TIMEOUT } from './options.js';
import type { Peer } from './peer.js';
import { DataResult, type HeldBudget, ReceiveFlow } from './receive-flow.js';
import { Tombstones } from './tombstones.js';
import type { DataPacket, FinPacket } from './wire.js';
import { DATA_HEADER_SIZE, encodeRetry, FIN_SIZE, seqDistance } from './wire.js';

/** What the receiving side needs from the engine around it. */
export interface ReceiveHooks {
  /** Forgets `peer` if it holds nothing any more. */
  settle(peer: Peer, now: number): void;
  /** Makes the peer's timer fire by `at` (for a flow's idle timeout). */
  arm(peer: Peer, at: number, now: number): void;
}

/**
 * The receiving half of a reliable socket (docs/reliable-protocol.md, "Receiver"): it starts,
 * feeds, completes and refuses incoming flows and remembers ended ones; the open flows are in
 * a {@link FlowTable}, their answers go out through an {@link AckSender} (an ACK per batch of
 * datagrams, at once when a segment arrives out of order).
 */
export class ReceiveSide {
  readonly #tombstones: Tombstones;
  readonly #table = new FlowTable();
  readonly #acks: AckSender;
  readonly #budget: HeldBudget;
  readonly #reassembly: HeldBudget;

  constructor(
    private readonly settings: ReliableSettings,
    private readonly counters: ReliableCounters,
    private readonly deliveries: DeliveryQueue,
    private readonly hooks: ReceiveHooks,
  ) {
    this.#tombstones = new Tombstones(settings.flowRecordLimit);
    this.#acks = new AckSender(settings, counters, deliveries, this.#tombstones);
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
    this.#acks.onRead(flow);
  }

  /** The delivery queue has room again: the flows it held back hear of it. */
  onRoom(): void {
    this.#acks.onRoom();
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
      this.#acks.forget(flow);
    }
    this.#table.removeAll(peer);
  }

  /** Forgets everything, cancelling the pending ACKs. */
  clear(): void {
    this.#table.clear();
    this.#acks.clear();
    this.#tombstones.clear();
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
        this.#acks.schedule(flow);
        return;
      case DataResult.Held:
        this.#acks.send(flow);
        return;
      case DataResult.Duplicate:
        this.counters.duplicatesSuppressed++;
        this.#acks.schedule(flow);
        return;
      case DataResult.BeyondWindow:
        this.counters.segmentsBeyondWindow++;
        this.#acks.schedule(flow);
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
        this.#acks.schedule(flow);
        return;
      case DataResult.Broken:
        this.endFlow(peer, flow, true);
        this.#acks.sendReset(peer, flow.incarnation);
        this.hooks.settle(peer, now);
    }
  }

  /** A flow for DATA of an unknown incarnation, or undefined when it was answered instead. */
  #newFlow(peer: Peer, packet: DataPacket, now: number): ReceiveFlow<Peer> | undefined {
    const tombstone = this.#tombstones.get(peer.key, packet.incarnation);
    if (tombstone !== undefined) {
      if (tombstone.reset) {
        this.#acks.sendReset(peer, packet.incarnation);
      } else {
        this.counters.duplicatesSuppressed++;
        this.#acks.sendEnded(peer, packet.incarnation, tombstone.finalSeq, packet.timestamp);
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
    const fromAddress = this.#table.fromAddress(peer.host);
    if (
      packet.seq >= settings.receiveWindow ||
      peer.flows.size >= settings.maxFlowsPerPeer ||
      fromAddress >= settings.maxFlowsPerAddress
    ) {
      this.counters.flowsRefused++;
      this.#acks.sendReset(peer, packet.incarnation);
      this.hooks.settle(peer, now);
      return undefined;
    }
    if (this.#table.size >= settings.maxFlows && !this.#evictOne(now)) {
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
    this.#table.add(peer, flow);
    this.hooks.arm(peer, now + settings.newFlowTimeout, now);
    return flow;
  }

  /** Makes room in a full flow table (see {@link FlowTable.victim}); false when no flow may go. */
  #evictOne(now: number): boolean {
    const victim = this.#table.victim(now);
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
      else this.#acks.schedule(flow);
      return;
    }
    const tombstone = this.#tombstones.get(peer.key, packet.incarnation);
    if (tombstone !== undefined && !tombstone.reset) {
      this.#acks.sendEnded(peer, packet.incarnation, tombstone.finalSeq, packet.timestamp);
    } else {
      // Acknowledging a FIN of an unknown flow would tell its sender that data arrived.
      this.#acks.sendReset(peer, packet.incarnation);
    }
    this.hooks.settle(peer, now);
  }

  #completeFlow(peer: Peer, flow: ReceiveFlow<Peer>, now: number): void {
    this.#acks.send(flow);
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
    this.#table.remove(peer, flow);
    this.#acks.forget(flow);
  }
}
