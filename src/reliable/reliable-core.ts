import type { RemoteInfo, Socket } from 'node:dgram';
import { formatEndpoint } from '../endpoint/format.js';
import { PeerUnreachableError } from '../errors.js';
import type { DeliveryQueue } from './delivery-queue.js';
import type { ReliableCounters, ReliableSettings } from './options.js';
import { RECEIVE_IDLE_TIMEOUT, TOMBSTONE_LIFETIME, TOMBSTONE_LIMIT } from './options.js';
import { Peer, peerKey } from './peer.js';
import { DataResult, ReceiveFlow } from './receive-flow.js';
import { type PendingSend, SendFlow, TICK_DONE, TICK_UNREACHABLE } from './send-flow.js';
import { Tombstones } from './tombstones.js';
import type { AckPacket, DataPacket, FinPacket } from './wire.js';
import { decodePacket, encodeAck, encodeReset, PacketType, seqDistance } from './wire.js';

const NO_BLOCKS: [] = [];

/**
 * The protocol engine of a reliable socket: it dispatches every datagram the UDP socket
 * receives to the peer and flow it belongs to, sends ACKs (one per batch of datagrams, at once
 * when a segment arrives out of order), runs the per-peer timers and delivers complete
 * messages. The public class wraps it with argument checks and the receive calls.
 */
export class ReliableCore {
  readonly peers = new Map<string, Peer>();
  readonly #tombstones = new Tombstones(TOMBSTONE_LIMIT, TOMBSTONE_LIFETIME);
  #flowCount = 0;
  #lastPeer: Peer | undefined;
  readonly #ackQueue: ReceiveFlow[] = [];
  #ackScheduled: NodeJS.Immediate | undefined;
  /** Set by close: no more DATA is accepted, and flows are finishing. */
  #closing = false;
  #onIdle: (() => void) | undefined;

  constructor(
    readonly socket: Socket,
    readonly settings: ReliableSettings,
    readonly counters: ReliableCounters,
    readonly deliveries: DeliveryQueue,
    private readonly onSocketError: () => void,
  ) {
    socket.on('message', (data: Buffer, info: RemoteInfo) => this.#onMessage(data, info));
  }

  /** The peer at `host`:`port` (an address literal), created unless `create` is false. */
  peer(host: string, port: number): Peer {
    const last = this.#lastPeer;
    if (last !== undefined && last.port === port && last.host === host) return last;
    const key = peerKey(host, port);
    let peer = this.peers.get(key);
    if (peer === undefined) {
      peer = new Peer(host, port, this.socket, this.onSocketError);
      this.peers.set(key, peer);
    }
    this.#lastPeer = peer;
    return peer;
  }

  /** Sends one message; resolves once the peer acknowledged all of it. */
  send(peer: Peer, payload: Uint8Array): Promise<void> {
    const now = performance.now();
    let flow = peer.send;
    if (flow === undefined || flow.finishing) {
      flow = new SendFlow(this.settings, this.counters, peer.transmit, now);
      peer.send = flow;
    }
    const pending: PendingSend = { end: 0, resolve: noop, reject: noop };
    const promise = new Promise<void>((resolve, reject) => {
      pending.resolve = resolve;
      pending.reject = reject;
    });
    flow.accept(payload, pending, now);
    peer.arm(flow.nextDeadline, now, this.#onTimer);
    return promise;
  }

  /**
   * Starts closing: incoming DATA is ignored from now on, every flow sends FIN after what it
   * has. Resolves when every flow is done or failed; `abandon` ends the rest.
   */
  finish(): Promise<void> {
    this.#closing = true;
    const now = performance.now();
    for (const peer of this.peers.values()) {
      for (const flow of peer.flows.values()) flow.clear();
      this.#flowCount -= peer.flows.size;
      peer.flows.clear();
      peer.lastFlow = undefined;
      const flow = peer.send;
      if (flow !== undefined) {
        const idle = flow.idle;
        flow.finish(now);
        // An idle flow's FIN goes out once; its receiver times the flow out if it is lost.
        if (idle) peer.send = undefined;
      }
      this.#settle(peer, now);
    }
    return new Promise<void>((resolve) => {
      this.#onIdle = resolve;
      this.#checkIdle();
    });
  }

  /** Fails every flow still open with `error` and stops every timer. */
  abandon(error: () => Error): void {
    for (const peer of this.peers.values()) {
      peer.disarm();
      peer.send?.fail(error);
      peer.send = undefined;
      for (const flow of peer.flows.values()) flow.clear();
    }
    this.peers.clear();
    this.#flowCount = 0;
    this.#lastPeer = undefined;
    this.#tombstones.clear();
    if (this.#ackScheduled !== undefined) clearImmediate(this.#ackScheduled);
    this.#ackScheduled = undefined;
    this.#ackQueue.length = 0;
  }

  /** A read made room in `flow`: tell its sender if its window had (nearly) closed. */
  onRead(flow: ReceiveFlow): void {
    if (
      flow.lastAdvertised * 4 <= this.settings.receiveWindow &&
      flow.window > flow.lastAdvertised
    ) {
      this.#scheduleAck(flow);
    }
  }

  #onMessage(data: Buffer, info: RemoteInfo): void {
    const packet = decodePacket(data);
    if (packet === null) {
      this.counters.malformedDatagrams++;
      return;
    }
    const now = performance.now();
    switch (packet.type) {
      case PacketType.Data:
        if (!this.#closing) this.#onData(this.peer(info.address, info.port), packet, now);
        return;
      case PacketType.Ack:
        this.counters.acksReceived++;
        this.#onAck(info, packet, now);
        return;
      case PacketType.Fin:
        if (!this.#closing) this.#onFin(this.peer(info.address, info.port), packet, now);
        return;
      case PacketType.Reset: {
        const peer = this.peers.get(peerKey(info.address, info.port));
        if (peer?.send === undefined || peer.send.incarnation !== packet.incarnation) {
          this.counters.strayDatagrams++;
          return;
        }
        this.counters.resetsReceived++;
        this.#unreachable(peer, 'reset the flow');
        this.#settle(peer, now);
      }
    }
  }

  #onData(peer: Peer, packet: DataPacket, now: number): void {
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
        this.#endFlow(peer, flow, true);
        this.#sendReset(peer, flow.incarnation);
        this.#settle(peer, now);
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
      this.#settle(peer, now);
      return undefined;
    }
    // A new flow starts at 0; a segment from further on belongs to a flow this receiver has
    // forgotten (or never had), which it cannot complete: it refuses it.
    if (packet.seq >= this.settings.receiveWindow || this.#flowCount >= this.settings.maxFlows) {
      this.#sendReset(peer, packet.incarnation);
      this.#settle(peer, now);
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
    peer.arm(now + RECEIVE_IDLE_TIMEOUT, now, this.#onTimer);
    return flow;
  }

  readonly #deliver = (flow: ReceiveFlow, data: Buffer, segments: number): void => {
    this.counters.messagesReceived++;
    const sender = { host: flow.peer.host, port: flow.peer.port };
    this.deliveries.deliver({ data, sender, truncated: false }, flow, segments);
  };

  #onFin(peer: Peer, packet: FinPacket, now: number): void {
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
    this.#settle(peer, now);
  }

  #onAck(info: RemoteInfo, packet: AckPacket, now: number): void {
    const peer = this.peers.get(peerKey(info.address, info.port));
    const flow = peer?.send;
    if (peer === undefined || flow === undefined || flow.incarnation !== packet.incarnation) {
      this.counters.strayDatagrams++;
      return;
    }
    if (!flow.onAck(packet, now)) {
      this.counters.strayDatagrams++;
      return;
    }
    flow.pump(now);
    if (flow.done) {
      peer.send = undefined;
      this.#settle(peer, now);
    } else {
      peer.arm(flow.nextDeadline, now, this.#onTimer);
    }
  }

  readonly #onTimer = (peer: Peer): void => {
    peer.timer = undefined;
    peer.timerAt = Infinity;
    const now = performance.now();
    let next = Infinity;
    const flow = peer.send;
    if (flow !== undefined) {
      const result = flow.tick(now);
      if (result === TICK_UNREACHABLE) {
        this.#unreachable(peer, `acknowledged nothing for ${this.settings.peerTimeout} ms`);
      } else if (result === TICK_DONE) {
        // A flow idle past its linger says goodbye once; the next message starts a new one.
        if (!flow.finishing) flow.finish(now);
        peer.send = undefined;
      } else {
        next = result;
      }
    }
    for (const receive of peer.flows.values()) {
      const idleUntil = receive.lastReceived + RECEIVE_IDLE_TIMEOUT;
      if (now >= idleUntil) this.#endFlow(peer, receive, false);
      else if (idleUntil < next) next = idleUntil;
    }
    if (!peer.empty) peer.arm(next, now, this.#onTimer);
    this.#settle(peer, now);
  };

  /** Fails the sends of `peer` with PeerUnreachableError and frees its send flow. */
  #unreachable(peer: Peer, why: string): void {
    const flow = peer.send;
    if (flow === undefined) return;
    peer.send = undefined;
    this.counters.peersUnreachable++;
    const endpoint = { ...peer.endpoint };
    flow.fail(
      () =>
        new PeerUnreachableError(`peer ${formatEndpoint(endpoint)} ${why}`, {
          endpoint,
        }),
    );
  }

  #completeFlow(peer: Peer, flow: ReceiveFlow, now: number): void {
    this.#sendAck(flow);
    this.#tombstones.add(peer.key, flow.incarnation, flow.cumulative, false, now);
    this.#endFlow(peer, flow, false);
    this.#settle(peer, now);
  }

  #endFlow(peer: Peer, flow: ReceiveFlow, reset: boolean): void {
    if (reset) this.#tombstones.add(peer.key, flow.incarnation, 0, true, performance.now());
    flow.clear();
    peer.flows.delete(flow.incarnation);
    this.#flowCount--;
    if (peer.lastFlow === flow) peer.lastFlow = undefined;
    // The owner of the timer (a timer run, or #settle) frees the peer once it is empty.
  }

  /** Forgets `peer` when it holds nothing; checks whether a close can end. */
  #settle(peer: Peer, _now: number): void {
    if (peer.empty) {
      peer.disarm();
      this.peers.delete(peer.key);
      if (this.#lastPeer === peer) this.#lastPeer = undefined;
    }
    if (this.#closing) this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.#onIdle === undefined) return;
    for (const peer of this.peers.values()) if (peer.send !== undefined) return;
    const done = this.#onIdle;
    this.#onIdle = undefined;
    done();
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

function noop(): void {}
