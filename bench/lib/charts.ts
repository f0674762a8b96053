/**
 * One self-contained SVG chart per scenario: a horizontal bar per contender for the
 * scenario's main metric (the median over the rounds, with a whisker from min to max), each
 * labelled with its value and its ratio to the baseline (raw Node.js), and the target drawn as
 * a line. Hand-written SVG, no dependencies, legible at 640 px wide.
 */
import { writeFileSync } from 'node:fs';
import type { SuiteResult } from './report.js';
import type { ScenarioResult } from './runner.js';
import type { MetricSpec } from './scenario.js';
import { compact, esc, niceAxis, round1, shorten, text } from './svg.js';

const WIDTH = 640;
const LEFT = 170;
const RIGHT = 24;
const TOP = 92;
const ROW = 40;
const BAR = 20;
const AXIS = 46;
const FOOTER = 22;
const FONT = "font-family='system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif'";
/** Width of one character of 12 px text, generously: for placing labels, not typesetting. */
const CHAR_WIDTH = 6.9;
const COLORS = {
  baseline: '#8a8f98',
  dsock: '#2563b0',
  others: ['#d9822b', '#2e9e6a', '#8e5cc4', '#c2417a', '#3a9fb5'],
};

/** The metric a scenario's chart shows: the first with a target, else the first headline one. */
export function mainMetric(scenario: ScenarioResult): MetricSpec | undefined {
  return (
    scenario.metrics.find((m) => m.target !== undefined) ??
    scenario.metrics.find((m) => m.headline === true) ??
    scenario.metrics[0]
  );
}

/** Writes `<scenario id>.svg` into `directory` for each scenario; returns the file names. */
export function writeCharts(suite: SuiteResult, directory: URL): string[] {
  const names: string[] = [];
  for (const scenario of suite.scenarios) {
    const svg = scenarioChart(scenario, suite);
    if (svg === undefined) continue;
    const name = `${scenario.id}.svg`;
    writeFileSync(new URL(name, directory), svg);
    names.push(name);
  }
  return names;
}

interface Row {
  id: string;
  label: string;
  color: string;
  median: number;
  min: number;
  max: number;
  /** e.g. "0.97× node:net", "baseline", "+1.2 MiB vs node:net". */
  ratio: string | undefined;
  /** Why there is no bar: the contender was skipped here. */
  skipped?: string;
}

/** The chart of `scenario`'s main metric, or undefined for a scenario without metrics. */
export function scenarioChart(
  scenario: ScenarioResult,
  suite?: Pick<SuiteResult, 'mode' | 'startedAt' | 'machine'>,
): string | undefined {
  const metric = mainMetric(scenario);
  if (metric === undefined) return undefined;
  // A metric may be compared with another contender than the scenario's baseline.
  const base = (metric as { against?: string }).against ?? scenario.baseline;
  let other = 0;
  const rows: Row[] = scenario.contenders.map((c) => {
    const summary = scenario.values[c.id]?.[metric.key];
    const ratio = scenario.ratios[c.id]?.[metric.key];
    const color =
      c.id === base
        ? COLORS.baseline
        : c.id.startsWith('dsock')
          ? COLORS.dsock
          : (COLORS.others[other++ % COLORS.others.length] as string);
    let ratioText: string | undefined;
    if (c.id === base) ratioText = 'baseline';
    else if (metric.ratio) {
      if (ratio !== undefined && ratio.n > 0) {
        const verdict = ratio.met === undefined ? '' : ratio.met ? ' ✓' : ' ✗';
        ratioText = `${ratio.median.toFixed(2)}× ${base}${verdict}`;
      } else ratioText = 'no ratio';
    } else {
      // A metric whose ratio means little (the baseline is near zero): the difference instead.
      const difference =
        (summary?.median ?? NaN) - (scenario.values[base]?.[metric.key]?.median ?? NaN);
      if (Number.isFinite(difference)) {
        ratioText = `${difference >= 0 ? '+' : '−'}${compact(Math.abs(difference))}${unitText(metric)} vs ${base}`;
      }
    }
    return {
      id: c.id,
      label: c.label,
      color,
      median: summary?.median ?? NaN,
      min: summary?.min ?? NaN,
      max: summary?.max ?? NaN,
      ratio: ratioText,
    };
  });
  for (const skipped of skippedOf(scenario)) {
    rows.push({
      id: skipped.id,
      label: skipped.label,
      color: COLORS.baseline,
      median: NaN,
      min: NaN,
      max: NaN,
      ratio: undefined,
      skipped: skipped.reason,
    });
  }
  const measured = rows.filter((r) => Number.isFinite(r.median));
  const baseMedian = rows.find((r) => r.id === base)?.median ?? NaN;
  const targetAt =
    metric.target !== undefined && Number.isFinite(baseMedian)
      ? baseMedian * metric.target
      : undefined;
  const extremes = measured.flatMap((r) => [r.min, r.max, r.median]);
  if (targetAt !== undefined) extremes.push(targetAt);
  const axis = niceAxis(Math.min(0, ...extremes), Math.max(0, ...extremes));
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (value: number): number =>
    LEFT + ((value - axis.from) / (axis.to - axis.from)) * plotWidth;
  const plotHeight = rows.length * ROW;
  const height = TOP + plotHeight + AXIS + FOOTER;
  const rounds = Math.max(0, ...rows.map((r) => scenario.values[r.id]?.[metric.key]?.n ?? 0));
  const unit = unitText(metric);
  const better = metric.better === 'higher' ? 'higher is better' : 'lower is better';
  const target =
    metric.target === undefined
      ? ''
      : `; target ${metric.better === 'higher' ? '≥' : '≤'} ${metric.target}× ${base}`;

  const out: string[] = [
    `<svg xmlns='http://www.w3.org/2000/svg' width='${WIDTH}' height='${height}' ` +
      `viewBox='0 0 ${WIDTH} ${height}' ${FONT} font-size='12'>`,
    `<title>${esc(`${scenario.title}: ${metric.label}`)}</title>`,
    `<rect width='${WIDTH}' height='${height}' fill='#ffffff'/>`,
    text(16, 26, scenario.title, "font-size='17' font-weight='600' fill='#1f2328'"),
    text(16, 48, `${metric.label} (${metric.unit}), ${better}${target}`, "font-size='13'"),
    text(
      16,
      66,
      `Bar: median of ${rounds} round${rounds === 1 ? '' : 's'}; whisker: min–max` +
        (metric.ratio
          ? `; label: value, median ratio to ${base} within a round`
          : `; label: value, difference of the medians to ${base}`),
      "font-size='11' fill='#57606a'",
    ),
  ];
  // Grid and tick labels first, so that the bars are drawn over them.
  for (const tick of axis.ticks) {
    const tx = round1(x(tick));
    out.push(
      `<line x1='${tx}' y1='${TOP - 6}' x2='${tx}' y2='${TOP + plotHeight}' stroke='#e4e7eb'/>`,
      text(tx, TOP + plotHeight + 16, compact(tick), "text-anchor='middle' fill='#57606a'"),
    );
  }
  out.push(
    `<line x1='${round1(x(0))}' y1='${TOP - 6}' x2='${round1(x(0))}' y2='${TOP + plotHeight}' stroke='#57606a'/>`,
    text(
      LEFT + plotWidth / 2,
      TOP + plotHeight + 36,
      metric.unit,
      "text-anchor='middle' fill='#57606a'",
    ),
  );
  // Value labels go last, over the target line, each on a backing box of its own.
  const labels: string[] = [];
  rows.forEach((row, index) => {
    const top = TOP + index * ROW + (ROW - BAR) / 2;
    const middle = top + BAR / 2;
    out.push(
      text(LEFT - 10, middle - 2, row.id, "text-anchor='end' font-weight='600' fill='#1f2328'"),
      text(
        LEFT - 10,
        middle + 11,
        shorten(row.label, 28),
        "text-anchor='end' font-size='10' fill='#57606a'",
      ),
    );
    if (!Number.isFinite(row.median)) {
      const why =
        row.skipped === undefined ? 'no result: every trial failed' : `skipped: ${row.skipped}`;
      out.push(text(LEFT + 6, middle + 4, shorten(why, 64), "fill='#b42318'"));
      return;
    }
    const zero = x(0);
    const end = x(row.median);
    out.push(
      `<rect x='${round1(Math.min(zero, end))}' y='${round1(top)}' width='${round1(Math.max(1, Math.abs(end - zero)))}' ` +
        `height='${BAR}' fill='${row.color}' rx='2'><title>${esc(
          `${row.id}: median ${compact(row.median)}${unit} (min ${compact(row.min)}, max ${compact(row.max)})`,
        )}</title></rect>`,
    );
    const lo = round1(x(row.min));
    const hi = round1(x(row.max));
    out.push(
      `<g stroke='#1f2328' stroke-width='1.2'><line x1='${lo}' y1='${middle}' x2='${hi}' y2='${middle}'/>` +
        `<line x1='${lo}' y1='${middle - 5}' x2='${lo}' y2='${middle + 5}'/>` +
        `<line x1='${hi}' y1='${middle - 5}' x2='${hi}' y2='${middle + 5}'/></g>`,
    );
    const label = `${compact(row.median)}${unit}${row.ratio === undefined ? '' : ` · ${row.ratio}`}`;
    const width = label.length * CHAR_WIDTH;
    const after = Math.max(end, hi, x(0)) + 6;
    if (after + width <= WIDTH - 4) {
      labels.push(
        `<rect x='${round1(after - 2)}' y='${round1(middle - 8)}' width='${round1(width + 4)}' height='16' fill='#ffffff' fill-opacity='0.85'/>`,
        text(after, middle + 4, label, "fill='#1f2328'"),
      );
    } else {
      // No room right of the bar: the label goes inside it, right-aligned, in white on a
      // backing box so that the whisker cannot make it unreadable.
      const right = Math.max(end, zero) - 6;
      labels.push(
        `<rect x='${round1(right - width - 4)}' y='${round1(middle - 8)}' width='${round1(width + 8)}' height='16' fill='${row.color}' rx='2'/>`,
        text(right, middle + 4, label, "text-anchor='end' fill='#ffffff' font-weight='600'"),
      );
    }
  });
  if (targetAt !== undefined) {
    const tx = round1(x(targetAt));
    out.push(
      `<line x1='${tx}' y1='${TOP - 8}' x2='${tx}' y2='${TOP + plotHeight}' stroke='#b42318' stroke-width='1.5' stroke-dasharray='5 3'/>`,
      text(
        tx,
        TOP - 12,
        `target ${metric.target}×`,
        "text-anchor='middle' font-size='11' fill='#b42318'",
      ),
    );
  }
  out.push(...labels);
  if (suite !== undefined) {
    const m = suite.machine;
    out.push(
      text(
        16,
        height - 8,
        `dsock benchmark, ${suite.mode} mode, ${suite.startedAt.slice(0, 10)}, Node.js ${m.node}, ` +
          `${m.cores} × ${m.cpu}, commit ${m.commit ?? 'unknown'}`,
        "font-size='10' fill='#57606a'",
      ),
    );
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The contenders left out of a run (results written before skipping existed have none). */
function skippedOf(scenario: ScenarioResult): { id: string; label: string; reason: string }[] {
  return (scenario as { skipped?: { id: string; label: string; reason: string }[] }).skipped ?? [];
}

function unitText(metric: MetricSpec): string {
  return metric.unit === '%' ? '%' : ` ${metric.unit}`;
}
