import { EVICTABLE_IDLE } from './options.js';
import type { Peer } from './peer.js';
import type { ReceiveFlow } from './receive-flow.js';

/**
 * The incoming flows a receiver holds open, across all peers: counted per source address
 * (whatever the port) for `maxFlowsPerAddress`, and searched for a flow to evict when the
 * table is full (`maxFlows`). Each flow is also in its peer's `flows`, which this keeps in step.
 */
export class FlowTable {
  readonly #flows = new Set<ReceiveFlow<Peer>>();
  readonly #perAddress = new Map<string, number>();

  /** How many flows are open. */
  get size(): number {
    return this.#flows.size;
  }

  /** How many flows are open from `host`, whatever their ports. */
  fromAddress(host: string): number {
    return this.#perAddress.get(host) ?? 0;
  }

  add(peer: Peer, flow: ReceiveFlow<Peer>): void {
    peer.flows.set(flow.incarnation, flow);
    this.#flows.add(flow);
    this.#perAddress.set(peer.host, this.fromAddress(peer.host) + 1);
  }

  /** Takes `flow` out of the table and out of its peer. */
  remove(peer: Peer, flow: ReceiveFlow<Peer>): void {
    if (peer.flows.delete(flow.incarnation)) this.#forget(peer.host, 1);
    this.#flows.delete(flow);
    if (peer.lastFlow === flow) peer.lastFlow = undefined;
  }

  /** Takes every flow of `peer` out (their state is the caller's to clear). */
  removeAll(peer: Peer): void {
    for (const flow of peer.flows.values()) this.#flows.delete(flow);
    this.#forget(peer.host, peer.flows.size);
    peer.flows.clear();
    peer.lastFlow = undefined;
  }

  /**
   * The flow to free to make room in a full table: the one that has delivered nothing and
   * advanced least recently, else the one idle longest if it has been idle for
   * {@link EVICTABLE_IDLE}; undefined when no flow may go.
   */
  victim(now: number): ReceiveFlow<Peer> | undefined {
    let unproven: ReceiveFlow<Peer> | undefined;
    let idle: ReceiveFlow<Peer> | undefined;
    for (const flow of this.#flows) {
      if (!flow.proven) {
        if (unproven === undefined || flow.lastAdvance < unproven.lastAdvance) unproven = flow;
      } else if (idle === undefined || flow.lastReceived < idle.lastReceived) {
        idle = flow;
      }
    }
    return (
      unproven ??
      (idle !== undefined && now - idle.lastReceived >= EVICTABLE_IDLE ? idle : undefined)
    );
  }

  /** Clears every flow and forgets them all. */
  clear(): void {
    for (const flow of this.#flows) flow.clear();
    this.#flows.clear();
    this.#perAddress.clear();
  }

  #forget(host: string, count: number): void {
    const left = this.fromAddress(host) - count;
    if (left > 0) this.#perAddress.set(host, left);
    else this.#perAddress.delete(host);
  }
}
