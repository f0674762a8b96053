import { CLOSED } from '../datagram/outbox.js';
import type { DatagramSink, UdpTransport } from '../datagram/transport.js';
import { formatEndpoint } from '../endpoint/format.js';
import { PeerUnreachableError } from '../errors.js';
import type { DeliveryQueue } from './delivery-queue.js';
import { reliableAck, reliableGiveUp, reliableReceive } from '../internal/channels.js';
import { pendingPromise, takeReject, takeResolve } from '../internal/pending-promise.js';
import type { ReliableCounters, ReliableSettings } from './options.js';
import { Peer, peerKey } from './peer.js';
import type { ReceiveFlow } from './receive-flow.js';
import { ReceiveSide } from './receive-side.js';
import type { PendingSend } from './send-buffer.js';
import { SendFlow, TICK_DONE, TICK_UNREACHABLE } from './send-flow.js';
import { SendTally } from './send-tally.js';
import type { AckPacket, RetryPacket } from './wire.js';
import { decodePacket, PacketType } from './wire.js';

/** How many peers' epochs are remembered after their state is freed. */
const KNOWN_EPOCHS = 4096;

/**
 * The protocol engine of a reliable socket: it keeps the peers, dispatches every datagram the
 * UDP transport receives to the peer and flow it belongs to (the receiving half to
 * {@link ReceiveSide}), starts send flows and runs each peer's one timer. The public class
 * wraps it with argument checks and the receive calls.
 *
 * It runs on the same {@link UdpTransport} as a datagram socket, so on the native path
 * (recvmmsg, and sendmmsg for the segments and ACKs of one tick) where the addon is loaded.
 */
export class ReliableCore implements DatagramSink {
  /** Every datagram is taken as it comes: a batch may be as large as the transport's. */
  readonly limit = Number.MAX_SAFE_INTEGER;
  readonly peers = new Map<string, Peer>();
  /**
   * The epochs of peers whose state was freed, so that a later flow to them starts with a
   * fresh one instead of drawing a RETRY. Bounded: the oldest entry goes first.
   */
  readonly #knownEpochs = new Map<string, number>();
  readonly #receiver: ReceiveSide;
  #lastPeer: Peer | undefined;
  /** Set by close: no more DATA is accepted, and flows are finishing. */
  #closing = false;
  #onIdle: (() => void) | undefined;

  /** The datagrams handed to the transport and not yet called back. */
  readonly sends: SendTally;
  /**
   * Appended to the message of every PeerUnreachableError (under a pre-shared key, the question
   * whether both sides use the same key): said where the error is made, so that no send pays
   * for a handler of its own.
   */
  unreachableHint = '';

  constructor(
    readonly transport: UdpTransport,
    readonly settings: ReliableSettings,
    readonly counters: ReliableCounters,
    readonly deliveries: DeliveryQueue,
  ) {
    this.#receiver = new ReceiveSide(settings, counters, deliveries, {
      settle: (peer, now) => this.#settle(peer, now),
      arm: (peer, at, now) => peer.arm(at, now, this.#onTimer),
    });
    // A send the socket's closing overtook is no error of the system's.
    this.sends = new SendTally((error) => {
      if (error !== CLOSED) counters.socketErrors++;
    });
    // Errors the system reports on a UDP socket (an ICMP report, a send that failed) concern
    // one datagram; retransmission covers them.
    transport.attach(this, () => void counters.socketErrors++);
  }

  /** A read made room in `flow`: its sender may need to hear that the window opened. */
  onRead(flow: ReceiveFlow): void {
    this.#receiver.onRead(flow);
  }

  /** The delivery queue has room again: the flows it held back may send. */
  onRoom(): void {
    this.#receiver.onRoom();
  }

  /** The peer at `host`:`port` (an address literal), created unless `create` is false. */
  peer(host: string, port: number): Peer {
    const last = this.#lastPeer;
    if (last !== undefined && last.port === port && last.host === host) return last;
    const key = peerKey(host, port);
    let peer = this.peers.get(key);
    if (peer === undefined) {
      peer = new Peer(host, port, this.transport, this.sends);
      peer.epoch = this.#knownEpochs.get(key) ?? 0;
      this.peers.set(key, peer);
    }
    this.#lastPeer = peer;
    return peer;
  }

  /** Sends one message; resolves with its length once the peer acknowledged all of it. */
  send(peer: Peer, payload: Uint8Array): Promise<number> {
    const now = performance.now();
    let flow = peer.send;
    if (flow === undefined || flow.finishing) {
      flow = new SendFlow(this.settings, this.counters, peer.transmit, now, peer.epoch);
      peer.send = flow;
    }
    // The promise sendTo returns is settled by the pending send itself, through no closure.
    const promise = pendingPromise<number>();
    const reject = takeReject();
    const pending: PendingSend = {
      payload,
      length: payload.length,
      end: 0,
      resolve: takeResolve(),
      reject,
    };
    flow.accept(pending, now);
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
      this.#receiver.dropAll(peer);
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
    this.#lastPeer = undefined;
    this.#receiver.clear();
  }

  /** Takes one datagram from the transport. */
  pushFrom(data: Buffer, host: string, port: number): void {
    if (reliableReceive.hasSubscribers) publishArrival(this.transport, data, host, port);
    const packet = decodePacket(data);
    if (packet === null) {
      this.counters.malformedDatagrams++;
      return;
    }
    const now = performance.now();
    switch (packet.type) {
      case PacketType.Data:
        if (!this.#closing) this.#receiver.onData(this.peer(host, port), packet, now);
        return;
      case PacketType.Ack:
        this.counters.acksReceived++;
        if (reliableAck.hasSubscribers) reliableAck.publish({ remote: { host, port } });
        this.#onAck(host, port, packet, now);
        return;
      case PacketType.Fin:
        if (!this.#closing) this.#receiver.onFin(this.peer(host, port), packet, now);
        return;
      case PacketType.Reset: {
        const peer = this.peers.get(peerKey(host, port));
        if (peer?.send === undefined || peer.send.incarnation !== packet.incarnation) {
          this.counters.strayDatagrams++;
          return;
        }
        this.counters.resetsReceived++;
        this.#unreachable(peer, 'reset the flow');
        this.#settle(peer, now);
        return;
      }
      case PacketType.Retry:
        this.#onRetry(host, port, packet, now);
    }
  }

  #onRetry(host: string, port: number, packet: RetryPacket, now: number): void {
    const peer = this.peers.get(peerKey(host, port));
    const flow = peer?.send;
    if (peer === undefined || flow === undefined || flow.incarnation !== packet.incarnation) {
      this.counters.strayDatagrams++;
      return;
    }
    peer.epoch = packet.epoch;
    if (flow.retry(packet.epoch, now)) peer.arm(flow.nextDeadline, now, this.#onTimer);
  }

  #onAck(host: string, port: number, packet: AckPacket, now: number): void {
    const peer = this.known(host, port);
    const flow = peer?.send;
    if (peer === undefined || flow === undefined || flow.incarnation !== packet.incarnation) {
      this.counters.strayDatagrams++;
      return;
    }
    if (!flow.onAck(packet, now)) {
      this.counters.strayDatagrams++;
      return;
    }
    peer.epoch = packet.epoch;
    flow.pump(now);
    if (flow.done) {
      peer.send = undefined;
      this.#settle(peer, now);
    } else {
      peer.arm(flow.nextDeadline, now, this.#onTimer);
    }
  }

  /**
   * The peer at `host`:`port` (an address literal) if there is one; the last one seen is found
   * without making its key, as most datagrams and sends concern the same peer.
   */
  known(host: string, port: number): Peer | undefined {
    const last = this.#lastPeer;
    if (last !== undefined && last.port === port && last.host === host) return last;
    return this.peers.get(peerKey(host, port));
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
    next = Math.min(next, this.#receiver.expire(peer, now));
    if (!peer.empty) peer.arm(next, now, this.#onTimer);
    this.#settle(peer, now);
  };

  /** Fails the sends of `peer` with PeerUnreachableError and frees its send flow. */
  #unreachable(peer: Peer, why: string): void {
    const flow = peer.send;
    if (flow === undefined) return;
    peer.send = undefined;
    this.counters.peersUnreachable++;
    if (reliableGiveUp.hasSubscribers)
      reliableGiveUp.publish({ remote: peer.endpoint, detail: why });
    const endpoint = { ...peer.endpoint };
    const message = `peer ${formatEndpoint(endpoint)} ${why}${this.unreachableHint}`;
    flow.fail(() => new PeerUnreachableError(message, { endpoint }));
  }

  /** Forgets `peer` when it holds nothing; checks whether a close can end. */
  #settle(peer: Peer, _now: number): void {
    if (peer.empty) {
      peer.disarm();
      this.peers.delete(peer.key);
      if (peer.epoch !== 0) this.#rememberEpoch(peer.key, peer.epoch);
      if (this.#lastPeer === peer) this.#lastPeer = undefined;
    }
    if (this.#closing) this.#checkIdle();
  }

  #rememberEpoch(key: string, epoch: number): void {
    const epochs = this.#knownEpochs;
    epochs.delete(key);
    epochs.set(key, epoch);
    if (epochs.size > KNOWN_EPOCHS) {
      for (const oldest of epochs.keys()) {
        epochs.delete(oldest);
        break;
      }
    }
  }

  #checkIdle(): void {
    if (this.#onIdle === undefined) return;
    for (const peer of this.peers.values()) if (peer.send !== undefined) return;
    const done = this.#onIdle;
    this.#onIdle = undefined;
    done();
  }
}

/** Tells the reliable-receive channel of a datagram that arrived on `socket`. */
function publishArrival(transport: UdpTransport, data: Buffer, host: string, port: number): void {
  reliableReceive.publish({ source: transport, remote: { host, port }, data });
}
