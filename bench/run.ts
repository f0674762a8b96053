/**
 * The benchmark suite: dsock against raw Node.js doing the same work, side by side.
 *
 *   npm run bench -- --quick        (about 2 minutes)
 *   npm run bench                   (the reference run, under 10 minutes)
 *
 * Prints a markdown report to stdout and writes it, with the raw numbers, to
 * bench/results/latest.md and latest.json. See bench/README.md.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs, USAGE } from './lib/args.js';
import { writeCharts } from './lib/charts.js';
import { machineFacts } from './lib/machine.js';
import { placementProblem, type Placement } from './lib/placement.js';
import { CPU_TIME_SOURCE } from './lib/thread-cpu.js';
import { readmeTable, updateReadme } from './lib/readme-table.js';
import { toMarkdown, type SuiteResult } from './lib/report.js';
import { runScenario, type ScenarioResult } from './lib/runner.js';
import { contenderVersions, versionsLine } from './lib/versions.js';
import { SCENARIOS } from './scenarios/index.js';

const DEFAULT_ROUNDS = { quick: 5, full: 9 } as const;
const TRIAL_TIMEOUT_MS = { quick: 60_000, full: 180_000 } as const;
const RESULTS = new URL('../../bench/results/', import.meta.url);
const README = new URL('../../README.md', import.meta.url);
/** The last full run of every scenario: the "previous run" column of the next one's table. */
const REFERENCE = new URL('reference.json', RESULTS);

function readReference(): SuiteResult | undefined {
  if (!existsSync(REFERENCE)) return undefined;
  return JSON.parse(readFileSync(REFERENCE, 'utf8')) as SuiteResult;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const ids = SCENARIOS.map((s) => s.id);
  if (args.help) {
    console.log(`${USAGE}\n\nScenarios: ${ids.join(', ')}`);
    return 0;
  }
  const unknown = args.only.filter((id) => !ids.includes(id));
  if (unknown.length > 0) {
    console.error(`unknown scenario ${unknown.join(', ')}; scenarios are: ${ids.join(', ')}`);
    return 2;
  }
  const selected = SCENARIOS.filter((s) => args.only.length === 0 || args.only.includes(s.id));
  const rounds = args.rounds ?? DEFAULT_ROUNDS[args.mode];
  const started = performance.now();
  const log = (line: string): void => {
    const elapsed = ((performance.now() - started) / 1000).toFixed(0).padStart(4);
    process.stderr.write(`[${elapsed} s] ${line}\n`);
  };
  const machine = machineFacts();
  const problem = placementProblem(args.placement);
  const placement: Placement = problem === undefined ? args.placement : 'free';
  const placementNote =
    problem === undefined ? undefined : `${args.placement} was asked for, but ${problem}`;
  log(
    `${args.mode} mode, ${rounds} rounds, placement ${placement}, node ${machine.node}, ` +
      `${machine.cpu} x${machine.cores}`,
  );
  if (placementNote !== undefined)
    log(`placement: ${placementNote}; the scheduler places the ends`);
  const versions = contenderVersions();
  log(`contenders: ${versionsLine(versions)}`);
  const startedAt = new Date().toISOString();
  const scenarios: ScenarioResult[] = [];
  for (const [index, scenario] of selected.entries()) {
    log(`scenario ${index + 1} of ${selected.length}: ${scenario.id}`);
    scenarios.push(
      await runScenario(scenario, {
        mode: args.mode,
        rounds,
        placement,
        trialTimeoutMs: TRIAL_TIMEOUT_MS[args.mode],
        log,
      }),
    );
  }
  const suite: SuiteResult = {
    mode: args.mode,
    rounds,
    startedAt,
    seconds: (performance.now() - started) / 1000,
    machine,
    placement,
    placementNote,
    cpuTimeSource: CPU_TIME_SOURCE,
    versions,
    scenarios,
  };
  const markdown = toMarkdown(suite);
  process.stdout.write(markdown + '\n');
  if (args.write) {
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(new URL('latest.md', RESULTS), markdown + '\n');
    writeFileSync(
      new URL('latest.json', RESULTS),
      JSON.stringify(
        suite,
        (_, value: unknown) => (typeof value === 'bigint' ? String(value) : value),
        2,
      ) + '\n',
    );
    log(`wrote ${new URL('latest.md', RESULTS).pathname} and latest.json`);
    const charts = writeCharts(suite, RESULTS);
    if (charts.length > 0) log(`wrote charts ${charts.join(', ')}`);
    // Only a full run of every scenario stands for the project in its README; it becomes the
    // reference the next full run's table compares with.
    if (args.mode === 'full' && args.only.length === 0) {
      const previous = readReference();
      try {
        updateReadme(README, readmeTable(suite, previous));
        log(`updated the performance table in ${README.pathname}`);
      } catch (error) {
        log(`README.md not updated: ${(error as Error).message}`);
      }
      copyFileSync(new URL('latest.json', RESULTS), REFERENCE);
      log(`wrote ${REFERENCE.pathname}, the reference for the next full run`);
    }
  }
  const failed = scenarios.some((s) =>
    s.rounds.some((round) => Object.values(round.trials).some((t) => 'error' in t)),
  );
  return failed ? 1 : 0;
}

process.exitCode = await main();
