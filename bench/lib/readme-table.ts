import { readFileSync, writeFileSync } from 'node:fs';
import { format } from './format.js';
import type { SuiteResult } from './report.js';
import type { ScenarioResult } from './runner.js';

/**
 * The summary the project README embeds: one row per target and contender held to it (dsock,
 * mostly), with what it is compared against, both medians, the ratio taken round by round and
 * whether the target is met. A full run rewrites it between {@link START} and {@link END} in
 * README.md, so that the README never shows figures older than the last reference run.
 */

export const START = '<!-- bench:table:start -->';
export const END = '<!-- bench:table:end -->';

const HEAD = [
  '| work | metric | compared with | its median | contender | median | ratio (min–max) | target | met | previous run |',
  '| --- | --- | --- | --: | --- | --: | --: | --: | :-: | --: |',
];

/**
 * The README's summary of `suite`: a line saying which run it is, then the table. `previous`,
 * the reference run before this one (bench/results/reference.json), gives each row's ratio
 * median as it was then, so that a change's effect reads as before and after side by side;
 * "—" where the previous run had no such row.
 */
export function readmeTable(suite: SuiteResult, previous?: SuiteResult): string {
  const lines = [
    `Full run of ${runName(suite)}, ${suite.rounds} rounds, on ${suite.machine.cpu} ` +
      `x${suite.machine.cores} (${suite.machine.platform}, Node.js ` +
      `${suite.machine.node.replace(/^v/, '')}): medians over the rounds, ratios taken round by ` +
      'round (median, min–max). Every figure, the other contenders and the machine: ' +
      '[bench/results/latest.md](bench/results/latest.md). ' +
      (previous === undefined
        ? 'No earlier reference run to compare with.'
        : `"previous run" is the ratio median of the reference run before it (${runName(previous)}).`),
    '',
    ...HEAD,
  ];
  for (const scenario of suite.scenarios) {
    const before = previous?.scenarios.find((s) => s.id === scenario.id);
    lines.push(...targetRows(scenario, before));
  }
  return lines.join('\n');
}

/** "2026-11-24, commit b7fcea922361": when a run started and what it measured. */
function runName(suite: SuiteResult): string {
  const commit = suite.machine.commit === undefined ? '' : `, commit ${suite.machine.commit}`;
  return `${suite.startedAt.slice(0, 10)}${commit}`;
}

function targetRows(scenario: ScenarioResult, before: ScenarioResult | undefined): string[] {
  const label = (id: string): string => scenario.contenders.find((c) => c.id === id)?.label ?? id;
  const rows: string[] = [];
  for (const metric of scenario.metrics) {
    if (metric.target === undefined) continue;
    const base = metric.against ?? scenario.baseline;
    const unit = metric.unit === '%' ? ' %' : ` ${metric.unit}`;
    const value = (id: string): string =>
      `${format(scenario.values[id]?.[metric.key]?.median, metric.digits)}${unit}`;
    for (const contender of scenario.contenders) {
      const ratio = scenario.ratios[contender.id]?.[metric.key];
      if (contender.id === base || ratio?.target === undefined) continue;
      const cells = [
        scenario.title,
        metric.label,
        label(base),
        value(base),
        contender.label,
        value(contender.id),
        `${format(ratio.median, 2)} (${format(ratio.min, 2)}–${format(ratio.max, 2)})`,
        `${metric.better === 'higher' ? '≥' : '≤'} ${format(ratio.target, 2)}`,
        ratio.met === true ? 'yes' : '**no**',
        previousRatio(before, contender.id, metric.key),
      ];
      rows.push(`| ${cells.map((cell) => cell.replaceAll('|', '/')).join(' | ')} |`);
    }
  }
  return rows;
}

/** The ratio median a previous run measured for the same contender and metric, or "—". */
function previousRatio(before: ScenarioResult | undefined, contender: string, key: string): string {
  const median = before?.ratios[contender]?.[key]?.median;
  return median === undefined ? '—' : format(median, 2);
}

/**
 * Replaces what lies between the markers in the file at `readme` with `table`; throws, naming
 * what is wrong, when the markers are missing or out of order (the file is then left alone).
 */
export function updateReadme(readme: URL, table: string): void {
  const text = readFileSync(readme, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < 0 || end < start || text.indexOf(START, start + 1) >= 0) {
    throw new Error(`${readme.pathname} needs one ${START} followed by one ${END}`);
  }
  const updated = `${text.slice(0, start + START.length)}\n${table}\n${text.slice(end)}`;
  if (updated !== text) writeFileSync(readme, updated);
}
