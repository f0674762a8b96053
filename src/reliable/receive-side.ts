import type { DeliveryQueue } from './delivery-queue.js';
import type { ReliableCounters, ReliableSettings } from './options.js';
import { RECEIVE_IDLE_TIMEOUT, TOMBSTONE_LIFETIME, TOMBSTONE_LIMIT } from './options.js';
import type { Peer } from './peer.js';
import { DataResult, ReceiveFlow } from './receive-flow.js';
import { Tombstones } from './tombstones.js';
import type { DataPacket, FinPacket } from './wire.js';
import { encodeAck, encodeReset, seqDistance } from './wire.js';

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
  readonly #tombstones = new Tombstones(TOMBSTONE_LIMIT, TOMBSTONE_LIFETIME);
  #flowCount = 0;
  readonly #ackQueue: ReceiveFlow[] = [];
  #ackScheduled: NodeJS.Immediate | undefined;

  constructor(
    private readonly settings: ReliableSettings,
    private readonly counters: ReliableCounters,
    private readonly deliveries: DeliveryQueue,
    private readonly hooks: ReceiveHooks,
  ) {}

  /** A read made room in `flow`: tell its sender if its window had (nearly) closed. */
  onRead(flow: ReceiveFlow): void {
    if (
      flow.lastAdvertised * 4 <= this.settings.receiveWindow &&
      flow.window > flow.lastAdvertised
    ) {
      this.#scheduleAck(flow);
    }
  }

  /** Frees the flows of `peer` idle for the idle timeout; returns the next such deadline. */
  expire(peer: Peer, now: number): number {
    let next = Infinity;
    for (const flow of peer.flows.values()) {
      const idleUntil = flow.lastReceived + RECEIVE_IDLE_TIMEOUT;
      if (now >= idleUntil) this.endFlow(peer, flow, false);
      else if (idleUntil < next) next = idleUntil;
    }
    return next;
  }

  /** Drops every flow of `peer` (the socket is closing). */
  dropAll(peer: Peer): void {
    for (const flow of peer.flows.values()) flow.clear();
    this.#flowCount -= peer.flows.size;
    peer.flows.clear();
    peer.lastFlow = undefined;
  }

  /** Forgets everything, cancelling the pending ACKs. */
  clear(): void {
    this.#flowCount = 0;
    this.#tombstones.clear();
    if (this.#ackScheduled !== undefined) clearImmediate(this.#ackScheduled);
    this.#ackScheduled = undefined;
    this.#ackQueue.length = 0;
  }

  onData(peer: Peer, packet: DataPacket, now: number): void {
    this.counters.segmentsReceived++;
    let flow = peer.lastFlow;
    if (flow === undefined || flow.incarnation !== packet.incarnation) {
      flow = peer.flows.get(packet.incarnation) ?? this.#newFlow(peer, packet, now);
      if (flow === undefined) return;
      peer.lastFlow = flow;
    }
    switch (flow.onData(packet, now)) {
      case DataResult.InOrder:
        if (flow.complete) this.#completeFlow(peer, flow, now);
        else this.#scheduleAck(flow);
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
      case DataResult.Broken:
        this.endFlow(peer, flow, true);
        this.#sendReset(peer, flow.incarnation);
        this.hooks.settle(peer, now);
    }
  }

  /** A flow for DATA of an unknown incarnation, or undefined when it was answered instead. */
  #newFlow(peer: Peer, packet: DataPacket, now: number): ReceiveFlow | undefined {
    const tombstone = this.#tombstones.get(peer.key, packet.incarnation, now);
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
    // A new flow starts at 0; a segment from further on belongs to a flow this receiver has
    // forgotten (or never had), which it cannot complete: it refuses it.
    if (packet.seq >= this.settings.receiveWindow || this.#flowCount >= this.settings.maxFlows) {
      this.#sendReset(peer, packet.incarnation);
      this.hooks.settle(peer, now);
      return undefined;
    }
    const flow = new ReceiveFlow(
      peer,
      packet.incarnation,
      this.settings.receiveWindow,
      this.settings.maxMessageSize,
      this.#deliver,
      now,
    );
    peer.flows.set(packet.incarnation, flow);
    this.#flowCount++;
    this.hooks.arm(peer, now + RECEIVE_IDLE_TIMEOUT, now);
    return flow;
  }

  readonly #deliver = (flow: ReceiveFlow, data: Buffer, segments: number): void => {
    this.counters.messagesReceived++;
    const sender = { host: flow.peer.host, port: flow.peer.port };
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
      if (flow.complete) this.#completeFlow(peer, flow, now);
      else this.#scheduleAck(flow);
      return;
    }
    const tombstone = this.#tombstones.get(peer.key, packet.incarnation, now);
    if (tombstone !== undefined && !tombstone.reset) {
      this.#transmitAck(peer, packet.incarnation, tombstone.finalSeq, 0, packet.timestamp);
    } else {
      // Acknowledging a FIN of an unknown flow would tell its sender that data arrived.
      this.#sendReset(peer, packet.incarnation);
    }
    this.hooks.settle(peer, now);
  }

  #completeFlow(peer: Peer, flow: ReceiveFlow, now: number): void {
    this.#sendAck(flow);
    this.#tombstones.add(peer.key, flow.incarnation, flow.cumulative, false, now);
    this.endFlow(peer, flow, false);
    this.hooks.settle(peer, now);
  }

  endFlow(peer: Peer, flow: ReceiveFlow, reset: boolean): void {
    if (reset) this.#tombstones.add(peer.key, flow.incarnation, 0, true, performance.now());
    flow.clear();
    peer.flows.delete(flow.incarnation);
    this.#flowCount--;
    if (peer.lastFlow === flow) peer.lastFlow = undefined;
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
    this.counters.acksSent++;
    flow.peer.transmit(
      encodeAck(flow.incarnation, flow.cumulative, window, flow.echo, flow.sackBlocks()),
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
    peer.transmit(encodeAck(incarnation, cumulative, window, echo, NO_BLOCKS));
  }

  #sendReset(peer: Peer, incarnation: number): void {
    this.counters.resetsSent++;
    peer.transmit(encodeReset(incarnation));
  }
}
