/** The congestion window a flow starts with, in segments. */
export const INITIAL_CWND = 10;
/** A bound on the window, so that a long loss-free run cannot grow it without limit. */
const MAX_CWND = 8192;

/**
 * AIMD congestion control in segments, as TCP NewReno: slow start below `ssthresh` (one
 * segment more per segment acknowledged), congestion avoidance above it (1/cwnd per segment),
 * halving on a loss found by fast retransmission and falling to one segment on a timeout.
 */
export class CongestionControl {
  cwnd = INITIAL_CWND;
  ssthresh = Infinity;

  /**
   * Grows the window for `acked` newly acknowledged segments. A sender that used less than
   * half its window (limited by the application, not the network) learns nothing about the
   * path, so its window stays.
   */
  onAcked(acked: number, inFlight: number): void {
    if (acked === 0 || inFlight + acked < this.cwnd / 2) return;
    for (let i = 0; i < acked; i++) {
      this.cwnd += this.cwnd < this.ssthresh ? 1 : 1 / this.cwnd;
    }
    if (this.cwnd > MAX_CWND) this.cwnd = MAX_CWND;
  }

  /** A loss found by fast retransmission: multiplicative decrease. */
  onLoss(): void {
    this.cwnd = Math.max(this.cwnd / 2, 2);
    this.ssthresh = this.cwnd;
  }

  /** A retransmission timeout: start again from one segment. */
  onTimeout(): void {
    this.ssthresh = Math.max(this.cwnd / 2, 2);
    this.cwnd = 1;
  }
}
