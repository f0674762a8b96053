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
  '| work | metric | compared with | its median | contender | median | ratio (min–max) | target | met |',
  '| --- | --- | --- | --: | --- | --: | --: | --: | :-: |',
];

/** The README's summary of `suite`: a line saying which run it is, then the table. */
export function readmeTable(suite: SuiteResult): string {
  const m = suite.machine;
  const commit = m.commit === undefined ? '' : `, commit ${m.commit}`;
  const lines = [
    `Full run of ${suite.startedAt.slice(0, 10)}, ${suite.rounds} rounds, on ${m.cpu} ` +
      `x${m.cores} (${m.platform}, Node.js ${m.node.replace(/^v/, '')}${commit}): medians ` +
      'over the rounds, ratios taken round by round (median, min–max). Every figure, the other ' +
      'contenders and the machine: [bench/results/latest.md](bench/results/latest.md).',
    '',
    ...HEAD,
  ];
  for (const scenario of suite.scenarios) lines.push(...targetRows(scenario));
  return lines.join('\n');
}

function targetRows(scenario: ScenarioResult): string[] {
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
      ];
      rows.push(`| ${cells.map((cell) => cell.replaceAll('|', '/')).join(' | ')} |`);
    }
  }
  return rows;
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
