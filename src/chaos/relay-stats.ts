/** What a {@link ChaosRelay} did to the datagrams of one direction. */
export interface DirectionStats {
  /** Datagrams that arrived to be relayed. */
  received: number;
  /** Copies sent on (a duplicated datagram counts twice, a dropped one not at all). */
  forwarded: number;
  /** Datagrams dropped. */
  dropped: number;
  /** Datagrams sent twice. */
  duplicated: number;
  /** Datagrams held back so that later ones overtook them. */
  reordered: number;
  /**
   * Copies dropped because the relay already held its most datagrams or bytes for their delay
   * (`maxDelayedDatagrams`, `maxDelayedBytes`): not a fault asked for, the relay's own bound.
   */
  overflowed: number;
}

/** Counters of a {@link ChaosRelay}. */
export interface RelayStats {
  /** Clients to target. */
  toTarget: DirectionStats;
  /** Target to clients. */
  toClient: DirectionStats;
  /** Both directions added up. */
  total: DirectionStats;
  /** Client mappings made, and closed (idle, evicted to make room, or at close). */
  mappingsCreated: number;
  mappingsExpired: number;
  /** Datagrams that reached a mapping socket from someone other than the target: ignored. */
  foreign: number;
  /** Errors the system reported on the relay's sockets (sends that failed, ICMP reports). */
  errors: number;
}

function direction(): DirectionStats {
  return { received: 0, forwarded: 0, dropped: 0, duplicated: 0, reordered: 0, overflowed: 0 };
}

/** The relay's live counters. */
export class RelayCounters {
  readonly toTarget = direction();
  readonly toClient = direction();
  mappingsCreated = 0;
  mappingsExpired = 0;
  foreign = 0;
  errors = 0;

  snapshot(): RelayStats {
    const a = this.toTarget;
    const b = this.toClient;
    return {
      toTarget: { ...a },
      toClient: { ...b },
      total: {
        received: a.received + b.received,
        forwarded: a.forwarded + b.forwarded,
        dropped: a.dropped + b.dropped,
        duplicated: a.duplicated + b.duplicated,
        reordered: a.reordered + b.reordered,
        overflowed: a.overflowed + b.overflowed,
      },
      mappingsCreated: this.mappingsCreated,
      mappingsExpired: this.mappingsExpired,
      foreign: this.foreign,
      errors: this.errors,
    };
  }
}
