import { format } from './format.js';
import type { MachineFacts } from './machine.js';
import type { ScenarioResult } from './runner.js';
import type { Placement } from './placement.js';
import type { Mode } from './scenario.js';
import type { CPU_TIME_SOURCE } from './thread-cpu.js';
import { versionsLine, type ContenderVersion } from './versions.js';

/** A whole run, as written to latest.json. */
export interface SuiteResult {
  mode: Mode;
  rounds: number;
  startedAt: string;
  seconds: number;
  machine: MachineFacts;
  /** Where the two ends of each trial ran, and why when not as asked. */
  placement: Placement;
  placementNote: string | undefined;
  cpuTimeSource: typeof CPU_TIME_SOURCE;
  /** The exact versions of the contenders' runtimes and packages (absent in older results). */
  versions?: ContenderVersion[];
  scenarios: ScenarioResult[];
}

/** The run as markdown: machine facts, a summary table of medians and ratios, then details. */
export function toMarkdown(suite: SuiteResult): string {
  const m = suite.machine;
  const lines: string[] = [
    `# dsock benchmark (${suite.mode} mode)`,
    '',
    `- Date: ${suite.startedAt}, took ${Math.round(suite.seconds)} s`,
    `- Node.js ${m.node} (V8 ${m.v8}), ${m.platform}`,
    ...(suite.versions === undefined ? [] : [`- Contenders: ${versionsLine(suite.versions)}`]),
    `- CPU: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB memory`,
    `- Kernel: ${m.kernel}; net.core.rmem_max ${m.rmemMax ?? 'unknown'}`,
    `- Load average at start: ${m.loadAverage.join(' / ')}`,
    `- Commit: ${m.commit ?? 'unknown'}${m.commit?.endsWith('+dirty') ? ' (src/ had uncommitted changes)' : ''}`,
    `- Placement: ${PLACEMENT_TEXT[suite.placement]}${suite.placementNote ? ` (${suite.placementNote})` : ''}`,
    `- ${suite.rounds} rounds; each round runs every contender once, in reverse order on odd ` +
      'rounds (echo scenarios interleave the contenders in blocks within each round); ratios ' +
      'are taken within a round, then summarised as median (min–max). The medians of each ' +
      'side are over the rounds too, so the ratio median need not be their quotient.',
    '',
    '## Summary',
    '',
    ...TABLE_HEAD,
  ];
  for (const scenario of suite.scenarios) lines.push(...summaryRows(scenario, true));
  lines.push(
    '',
    '## Diagnostics',
    '',
    suite.cpuTimeSource === 'schedstat'
      ? "CPU time is each end thread's own run time (from /proc/thread-self/schedstat), per " +
          'operation: the cost of each side, which the shared machine disturbs far less than ' +
          'elapsed time.'
      : "CPU time is approximated by the time each end thread's event loop was not waiting " +
          '(per-thread run time is not available here), per operation.',
    '',
    ...TABLE_HEAD,
  );
  for (const scenario of suite.scenarios) lines.push(...summaryRows(scenario, false));
  lines.push('');
  for (const scenario of suite.scenarios) lines.push(...details(scenario));
  return lines.join('\n');
}

const PLACEMENT_TEXT: Record<Placement, string> = {
  apart: 'the two ends of a trial pinned to two different CPUs',
  together: 'the two ends of a trial pinned to the same CPU',
  free: 'the two ends of a trial placed by the scheduler',
};

const TABLE_HEAD = [
  '| Scenario | Metric | Baseline | Baseline median | Contender | Contender median | Ratio median (min–max) | Target | Met |',
  '|---|---|---|--:|---|--:|--:|--:|:-:|',
];

function summaryRows(scenario: ScenarioResult, headline: boolean): string[] {
  const rows: string[] = [];
  for (const metric of scenario.metrics) {
    if ((metric.target !== undefined || metric.headline === true) !== headline) continue;
    const base = metric.against ?? scenario.baseline;
    // Rows name contenders by label, which says what each one is ("dsock (native)").
    const baseLabel = scenario.contenders.find((c) => c.id === base)?.label ?? base;
    for (const contender of scenario.contenders) {
      if (contender.id === base) continue;
      if (metric.ratioFor !== undefined && !metric.ratioFor.includes(contender.id)) continue;
      const ratio = scenario.ratios[contender.id]?.[metric.key];
      const unit = metric.unit === '%' ? ' %' : ` ${metric.unit}`;
      const cells = [
        scenario.title,
        metric.label,
        baseLabel,
        `${format(scenario.values[base]?.[metric.key]?.median, metric.digits)}${unit}`,
        contender.label,
        `${format(scenario.values[contender.id]?.[metric.key]?.median, metric.digits)}${unit}`,
        ratio === undefined || ratio.n === 0
          ? '—'
          : `${format(ratio.median, 3)} (${format(ratio.min, 3)}–${format(ratio.max, 3)})`,
        ratio?.target === undefined
          ? '—'
          : `${metric.better === 'higher' ? '≥' : '≤'} ${format(ratio.target, 2)}`,
        ratio?.met === undefined ? '—' : ratio.met ? 'yes' : '**no**',
      ];
      rows.push(`| ${cells.join(' | ')} |`);
    }
  }
  return rows;
}

function details(scenario: ScenarioResult): string[] {
  const lines = [
    `## ${scenario.title} (\`${scenario.id}\`)`,
    '',
    scenario.description + '.',
    '',
    ...scenario.contenders.map((c) => `- \`${c.id}\` (${c.label}): ${c.note}`),
    ...scenario.skipped.map((c) => `- \`${c.id}\` (${c.label}): skipped, ${c.reason}`),
    '',
  ];
  const columns = scenario.contenders.flatMap((c) =>
    scenario.metrics.map((metric) => ({ contender: c.id, metric })),
  );
  lines.push(
    `| Round | Order | ${columns.map((col) => `${col.contender} ${col.metric.label}`).join(' | ')} |`,
    `|--:|---|${columns.map(() => '--:').join('|')}|`,
  );
  scenario.rounds.forEach((round, index) => {
    const cells = columns.map(({ contender, metric }) => {
      const outcome = round.trials[contender];
      if (outcome === undefined) return 'n/a';
      if ('error' in outcome) return `failed: ${outcome.error.replaceAll('|', '/')}`;
      return format(outcome.metrics[metric.key], metric.digits);
    });
    lines.push(`| ${index + 1} | ${round.order.join(', ')} | ${cells.join(' | ')} |`);
  });
  lines.push('');
  return lines;
}
