import type { PeerHandle, PeerSpec } from './peer.js';

/** `quick` finishes the whole suite in about two minutes; `full` is the reference run. */
export type Mode = 'quick' | 'full';

/** One number a trial measures. */
export interface MetricSpec {
  key: string;
  label: string;
  unit: string;
  /** Which way is better; decides the direction of the target. */
  better: 'higher' | 'lower';
  /** Whether contender/baseline ratios are worth reporting (not for a loss that is often 0). */
  ratio: boolean;
  /**
   * The ratio contender/baseline that meets the target (at least this for `higher`, at most
   * for `lower`); undefined for a metric whose ratio is only informative.
   */
  target?: number;
  /**
   * The contender whose value the ratios of this metric are taken against, when not the
   * scenario's baseline (a target set against another contender: "10 x zeromq").
   */
  against?: string;
  /** The contenders held to {@link target}; every one by default. */
  targetFor?: readonly string[];
  /**
   * The contenders whose ratio this metric reports (its rows in the tables); every one but the
   * one compared against by default. For a second comparison of a figure already shown.
   */
  ratioFor?: readonly string[];
  /**
   * Shown in the summary table (metrics with a target always are); the others go to the
   * diagnostics table, which explains the summary rather than adding to it.
   */
  headline?: boolean;
  /** Decimals shown in the report. */
  digits: number;
}

/** What one trial measured, by metric key. */
export type Metrics = Record<string, number>;

/** One way of doing the scenario's work: a library, a language, a configuration. */
export interface Contender {
  id: string;
  label: string;
  /** How each role of the scenario is started for this contender. */
  peers: Readonly<Record<string, PeerSpec>>;
  /** What the contender's code does, for the report (which API calls, which idiom). */
  note: string;
  /**
   * Why the contender cannot run on this machine (no compiler, no interpreter), or undefined
   * when it can; asked once per run, before the scenario's first round. The runner leaves out
   * a contender that cannot run, and the report says why.
   */
  unavailable?(): string | undefined;
}

/** What a trial may use: starting the contender's peers, which the runner stops afterwards. */
export interface TrialContext {
  /** Starts the contender's `role` with `params`. */
  start(role: string, params: unknown): PeerHandle;
  /** Longest wait for one peer message, in ms. */
  readonly messageTimeoutMs: number;
}

/** What an interleaved round may use: starting any contender's peers. */
export interface RoundContext {
  /** Starts `contender`'s `role` with `params`; the runner stops it after the round. */
  start(contender: Contender, role: string, params: unknown): PeerHandle;
  /** Longest wait for one peer message, in ms. */
  readonly messageTimeoutMs: number;
}

/**
 * A benchmark scenario: the same work done by each contender. The first contender is the
 * baseline every other one is compared with, round by round.
 *
 * A scenario defines either {@link trial}, run once per contender and round, or {@link round}.
 */
export interface Scenario<P = unknown> {
  id: string;
  title: string;
  /** The work, the timing and the sizes, in one or two sentences for the report. */
  describe(params: P): string;
  params(mode: Mode): P;
  /**
   * The two ends, the passive one (receiver, server) first: {@link Placement} puts them on
   * CPUs by this order. Every contender has a peer for each.
   */
  roles: readonly [string, string];
  /**
   * The most rounds this scenario runs per mode, when fewer than the suite's: for figures
   * that barely vary from round to round but take long to measure (memory).
   */
  maxRounds?: Partial<Record<Mode, number>>;
  metrics: readonly MetricSpec[];
  contenders: readonly Contender[];
  /** Runs `contender` once and returns its metrics. */
  trial?(contender: Contender, params: P, context: TrialContext): Promise<Metrics>;
  /**
   * Runs every contender within one round, their work cut into short blocks taken in `order`,
   * then in reverse, and so on; returns each contender's metrics by id. For work whose
   * contenders can stand by without disturbing each other (an idle ping-pong), this pairs them
   * far more closely in time than separate trials can, on a machine whose speed changes.
   */
  round?(
    order: readonly Contender[],
    params: P,
    context: RoundContext,
  ): Promise<Record<string, Metrics>>;
}
