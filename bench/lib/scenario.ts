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
}

/** What a trial may use: starting the contender's peers, which the runner stops afterwards. */
export interface TrialContext {
  /** Starts the contender's `role` with `params`. */
  start(role: string, params: unknown): PeerHandle;
  /** Longest wait for one peer message, in ms. */
  readonly messageTimeoutMs: number;
}

/**
 * A benchmark scenario: the same work done by each contender. The first contender is the
 * baseline every other one is compared with, round by round.
 */
export interface Scenario<P = unknown> {
  id: string;
  title: string;
  /** The work, the timing and the sizes, in one or two sentences for the report. */
  describe(params: P): string;
  params(mode: Mode): P;
  metrics: readonly MetricSpec[];
  contenders: readonly Contender[];
  /** Runs `contender` once and returns its metrics. */
  trial(contender: Contender, params: P, context: TrialContext): Promise<Metrics>;
}
