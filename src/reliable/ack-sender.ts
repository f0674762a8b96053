import { afterATurn, cancelTurn } from '../internal/after-a-turn.js';
import type { DeliveryQueue } from './delivery-queue.js';
import type { ReliableCounters, ReliableSettings } from './options.js';
import type { Peer } from './peer.js';
import type { ReceiveFlow } from './receive-flow.js';
import type { Tombstones } from './tombstones.js';
import { encodeAck, encodeReset, MAX_SACK_BLOCKS, sackBlocksAnswering } from './wire.js';

const NO_BLOCKS: [] = [];

/**
 * The answers of a receiver (docs/reliable-protocol.md, "Receiver"): the ACKs of its open
 * flows, one per flow and batch of datagrams (at the end of the event-loop turn) unless one is
 * due at once; the ACKs of flows it remembers as ended; and RESETs. It also keeps the flows
 * told of a window of 0 because the delivery queue was full, to tell them again when it opens.
 */
export class AckSender {
  readonly #settings: ReliableSettings;
  readonly #counters: ReliableCounters;
  readonly #deliveries: DeliveryQueue;
  /** The receiver's epoch, which every ACK carries. */
  readonly #tombstones: Tombstones;
  readonly #queue: ReceiveFlow[] = [];
  /** Flows told of a window of 0 because the delivery queue was full: told again when it opens. */
  readonly #heldBack = new Set<ReceiveFlow>();
  #scheduled: NodeJS.Immediate | undefined;

  constructor(
    settings: ReliableSettings,
    counters: ReliableCounters,
    deliveries: DeliveryQueue,
    tombstones: Tombstones,
  ) {
    this.#settings = settings;
    this.#counters = counters;
    this.#deliveries = deliveries;
    this.#tombstones = tombstones;
  }

  /** A read made room in `flow`: tell its sender if its window had (nearly) closed. */
  onRead(flow: ReceiveFlow): void {
    // An unfinished message that waited for the application's read did not stall: its clock
    // of no progress starts again.
    if (flow.assembling) flow.lastAdvance = performance.now();
    if (
      flow.lastAdvertised * 4 <= this.#settings.receiveWindow &&
      flow.window > flow.lastAdvertised
    ) {
      // Not an answer to a datagram: the ACK may carry every block.
      flow.ackTrigger = Infinity;
      this.schedule(flow);
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
      this.schedule(flow);
    }
    this.#heldBack.clear();
  }

  /** Acknowledges `flow` at the end of this turn of the event loop, once for all its datagrams. */
  schedule(flow: ReceiveFlow): void {
    if (flow.ackPending) return;
    flow.ackPending = true;
    this.#queue.push(flow);
    this.#scheduled ??= afterATurn(this.#flush);
  }

  /** Acknowledges `flow` now: its cumulative point, window and SACK blocks. */
  send(flow: ReceiveFlow): void {
    flow.ackPending = false;
    const window = flow.window;
    flow.lastAdvertised = window;
    if (window === 0 && this.#deliveries.full) this.#heldBack.add(flow);
    // No answer much larger than what triggered it: the SACK blocks fit twice its size.
    const trigger = flow.ackTrigger;
    const blocks = flow.sackBlocks(
      trigger === Infinity ? MAX_SACK_BLOCKS : sackBlocksAnswering(trigger),
    );
    flow.ackTrigger = 0;
    this.#counters.acksSent++;
    flow.peer.transmit(
      encodeAck(
        flow.incarnation,
        flow.cumulative,
        window,
        flow.echo,
        this.#tombstones.epoch,
        blocks,
      ),
    );
  }

  /** Acknowledges the flow `incarnation` of `peer`, ended at `cumulative`, with a window of 0. */
  sendEnded(peer: Peer, incarnation: number, cumulative: number, echo: number): void {
    this.#counters.acksSent++;
    peer.transmit(encodeAck(incarnation, cumulative, 0, echo, this.#tombstones.epoch, NO_BLOCKS));
  }

  sendReset(peer: Peer, incarnation: number): void {
    this.#counters.resetsSent++;
    peer.transmit(encodeReset(incarnation));
  }

  /** `flow` ended: it is told of nothing more. */
  forget(flow: ReceiveFlow): void {
    this.#heldBack.delete(flow);
  }

  /** Forgets every flow, cancelling the pending ACKs. */
  clear(): void {
    this.#heldBack.clear();
    if (this.#scheduled !== undefined) cancelTurn(this.#scheduled);
    this.#scheduled = undefined;
    this.#queue.length = 0;
  }

  readonly #flush = (): void => {
    this.#scheduled = undefined;
    const flows = this.#queue;
    for (let i = 0; i < flows.length; i++) {
      const flow = flows[i] as ReceiveFlow;
      if (flow.ackPending && flow.alive) this.send(flow);
    }
    flows.length = 0;
  };
}
