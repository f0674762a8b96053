/** RTO before the first round-trip sample, in milliseconds (docs/reliable-protocol.md). */
export const INITIAL_RTO = 200;
/** The most a backed-off RTO grows to, in milliseconds. */
export const MAX_BACKOFF_RTO = 2000;
/** The largest RTO computed from samples, in milliseconds (RFC 6298 allows 60 s). */
const MAX_RTO = 60_000;
/** The clock granularity G of RFC 6298: timers fire to the millisecond. */
const GRANULARITY = 1;

/**
 * Smoothed round-trip time and retransmission timeout as RFC 6298 computes them, with a
 * configurable floor instead of 1 s so that the RTO follows fast paths.
 */
export class RttEstimator {
  /** Smoothed round-trip time in ms, 0 before the first sample. */
  srtt = 0;
  /** Round-trip time variation in ms. */
  rttvar = 0;
  /** The current retransmission timeout in ms. */
  rto = INITIAL_RTO;
  #sampled = false;

  constructor(private readonly minRto: number) {
    this.rto = Math.max(INITIAL_RTO, minRto);
  }

  /** Takes a round-trip sample (ms); a fresh sample also ends any backoff. */
  sample(rtt: number): void {
    if (this.#sampled) {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rtt);
      this.srtt = 0.875 * this.srtt + 0.125 * rtt;
    } else {
      this.srtt = rtt;
      this.rttvar = rtt / 2;
      this.#sampled = true;
    }
    const rto = this.srtt + Math.max(GRANULARITY, 4 * this.rttvar);
    this.rto = Math.min(Math.max(rto, this.minRto), MAX_RTO);
  }

  /** Doubles the RTO after a timeout, up to {@link MAX_BACKOFF_RTO} (never lowering it). */
  backoff(): void {
    this.rto = Math.max(this.rto, Math.min(this.rto * 2, MAX_BACKOFF_RTO));
  }
}
