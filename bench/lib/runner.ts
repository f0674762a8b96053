import { PeerHandle } from './peer.js';
import { cpuFor, type Placement } from './placement.js';
import type { Contender, Metrics, Mode, RoundContext, Scenario } from './scenario.js';
import { format } from './format.js';
import { summarize, type Summary } from './stats.js';

/** How a suite run is carried out. */
export interface RunOptions {
  mode: Mode;
  rounds: number;
  /** Where the two ends of a trial run (already checked to be possible). */
  placement: Placement;
  /** Longest a single trial may take before it is abandoned, in ms. */
  trialTimeoutMs: number;
  /** Progress lines (stderr). */
  log(line: string): void;
}

/** One trial's outcome: the metrics, or why there are none. */
export type TrialOutcome =
  { metrics: Metrics; seconds: number } | { error: string; seconds: number };

/** One round: every contender once, in `order`. */
export interface RoundResult {
  order: string[];
  trials: Record<string, TrialOutcome>;
}

/** A contender's ratios to the baseline for one metric, taken round by round. */
export interface RatioResult extends Summary {
  /** The target ratio and whether the median meets it; absent for an informative ratio. */
  target?: number;
  met?: boolean;
}

/** Everything measured for one scenario. */
export interface ScenarioResult {
  id: string;
  title: string;
  description: string;
  params: unknown;
  baseline: string;
  contenders: { id: string; label: string; note: string }[];
  /** Contenders left out because they cannot run here, and why. */
  skipped: { id: string; label: string; reason: string }[];
  metrics: Scenario['metrics'];
  rounds: RoundResult[];
  /** Per contender, per metric: the values over the rounds. */
  values: Record<string, Record<string, Summary>>;
  /** Per non-baseline contender, per metric with a ratio: contender / baseline over the rounds. */
  ratios: Record<string, Record<string, RatioResult>>;
}

/**
 * Runs every contender of `scenario` once per round (or, for a scenario with `round`, all of
 * them interleaved within the round). Odd rounds reverse the order, so that whoever goes first
 * (a cold cache, a neighbour's burst of load) does not favour one side; the ratio of a
 * contender to the baseline is taken within each round, where conditions were closest, and
 * summarised over the rounds.
 */
export async function runScenario<P>(
  scenario: Scenario<P>,
  options: RunOptions,
): Promise<ScenarioResult> {
  const skipped = scenario.contenders.flatMap((contender) => {
    const reason = contender.unavailable?.();
    return reason === undefined ? [] : [{ id: contender.id, label: contender.label, reason }];
  });
  for (const { id, reason } of skipped) options.log(`${scenario.id}: ${id} skipped: ${reason}`);
  const available = scenario.contenders.filter((c) => !skipped.some((s) => s.id === c.id));
  scenario = { ...scenario, contenders: available };
  const params = scenario.params(options.mode);
  const baseline = scenario.contenders[0];
  if (baseline === undefined) throw new Error(`scenario ${scenario.id} has no contenders`);
  options.log(`${scenario.id}: ${scenario.describe(params)}`);
  const rounds: RoundResult[] = [];
  const roundCount = Math.min(options.rounds, scenario.maxRounds?.[options.mode] ?? Infinity);
  for (let round = 0; round < roundCount; round++) {
    const order = round % 2 === 0 ? [...scenario.contenders] : [...scenario.contenders].reverse();
    const trials: Record<string, TrialOutcome> = {};
    const report = (contender: Contender, outcome: TrialOutcome): void => {
      trials[contender.id] = outcome;
      const shown =
        'error' in outcome
          ? `FAILED: ${outcome.error}`
          : scenario.metrics
              .map((m) => `${m.key}=${format(outcome.metrics[m.key], m.digits)}`)
              .join(' ');
      options.log(
        `${scenario.id}: round ${round + 1}/${roundCount} ${contender.id.padEnd(14)} ` +
          `${shown} (${outcome.seconds.toFixed(1)} s)`,
      );
    };
    const interleaved = scenario.round?.bind(scenario);
    const single = scenario.trial?.bind(scenario);
    if (interleaved !== undefined) {
      const outcome = await guarded(scenario, options, (start) =>
        interleaved(order, params, { start, messageTimeoutMs: options.trialTimeoutMs }),
      );
      for (const contender of order) {
        const metrics = 'error' in outcome ? undefined : outcome.value[contender.id];
        report(
          contender,
          metrics === undefined
            ? { error: 'error' in outcome ? outcome.error : 'no metrics', seconds: outcome.seconds }
            : { metrics, seconds: outcome.seconds },
        );
      }
    } else if (single !== undefined) {
      for (const contender of order) {
        const outcome = await guarded(scenario, options, (start) =>
          single(contender, params, {
            start: (role, peerParams) => start(contender, role, peerParams),
            messageTimeoutMs: options.trialTimeoutMs,
          }),
        );
        report(
          contender,
          'error' in outcome ? outcome : { metrics: outcome.value, seconds: outcome.seconds },
        );
      }
    } else {
      throw new Error(`scenario ${scenario.id} defines neither trial nor round`);
    }
    rounds.push({ order: order.map((c) => c.id), trials });
  }
  return {
    id: scenario.id,
    title: scenario.title,
    description: scenario.describe(params),
    params,
    baseline: baseline.id,
    contenders: scenario.contenders.map(({ id, label, note }) => ({ id, label, note })),
    skipped,
    metrics: scenario.metrics,
    rounds,
    values: collectValues(scenario, rounds),
    ratios: collectRatios(scenario, baseline.id, rounds),
  };
}

type Outcome<T> = { value: T; seconds: number } | { error: string; seconds: number };

/**
 * Runs `work` bounded by the trial timeout, then stops every peer it started, whatever
 * happened: a failed or hung trial costs one result, not the run.
 */
async function guarded<T, P>(
  scenario: Scenario<P>,
  options: RunOptions,
  work: (start: RoundContext['start']) => Promise<T>,
): Promise<Outcome<T>> {
  const peers: PeerHandle[] = [];
  const start: RoundContext['start'] = (contender, role, params) => {
    const spec = contender.peers[role];
    if (spec === undefined) throw new Error(`contender ${contender.id} has no "${role}" peer`);
    const end = scenario.roles.indexOf(role);
    if (end < 0) throw new Error(`scenario ${scenario.id} has no role "${role}"`);
    const cpu = cpuFor(options.placement, end);
    const peer = new PeerHandle(`${contender.id} ${role}`, spec, params, cpu);
    peers.push(peer);
    return peer;
  };
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const expiry = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`trial took longer than ${options.trialTimeoutMs} ms`)),
        options.trialTimeoutMs,
      );
    });
    const value = await Promise.race([work(start), expiry]);
    return { value, seconds: seconds() };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error), seconds: seconds() };
  } finally {
    clearTimeout(timer);
    await Promise.all(peers.map((peer) => peer.close()));
  }
}

function collectValues<P>(
  scenario: Scenario<P>,
  rounds: RoundResult[],
): Record<string, Record<string, Summary>> {
  const values: Record<string, Record<string, Summary>> = {};
  for (const contender of scenario.contenders) {
    const perMetric: Record<string, Summary> = {};
    for (const metric of scenario.metrics) {
      perMetric[metric.key] = summarize(
        rounds.flatMap((round) => {
          const value = valueOf(round.trials[contender.id], metric.key);
          return value === undefined ? [] : [value];
        }),
      );
    }
    values[contender.id] = perMetric;
  }
  return values;
}

function collectRatios<P>(
  scenario: Scenario<P>,
  baseline: string,
  rounds: RoundResult[],
): Record<string, Record<string, RatioResult>> {
  const ratios: Record<string, Record<string, RatioResult>> = {};
  for (const contender of scenario.contenders) {
    const perMetric: Record<string, RatioResult> = {};
    for (const metric of scenario.metrics) {
      const against = metric.against ?? baseline;
      if (!metric.ratio || contender.id === against) continue;
      if (metric.ratioFor !== undefined && !metric.ratioFor.includes(contender.id)) continue;
      const series = rounds.flatMap((round) => {
        const mine = valueOf(round.trials[contender.id], metric.key);
        const base = valueOf(round.trials[against], metric.key);
        return mine === undefined || base === undefined || base === 0 ? [] : [mine / base];
      });
      const summary: RatioResult = summarize(series);
      const target = metric.target;
      const held = metric.targetFor?.includes(contender.id) ?? true;
      if (target !== undefined && held && summary.n > 0) {
        summary.target = target;
        summary.met =
          metric.better === 'higher' ? summary.median >= target : summary.median <= target;
      }
      perMetric[metric.key] = summary;
    }
    if (contender.id !== baseline || Object.keys(perMetric).length > 0) {
      ratios[contender.id] = perMetric;
    }
  }
  return ratios;
}

function valueOf(outcome: TrialOutcome | undefined, key: string): number | undefined {
  if (outcome === undefined || 'error' in outcome) return undefined;
  const value = outcome.metrics[key];
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}
