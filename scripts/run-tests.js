#!/usr/bin/env node
// Runs every compiled test file under build/test with Node's built-in test runner.
// Node 20 has no glob support in --test, and helper modules under test/ must not be
// picked up as test files, so the list is made here: only files named *.test.js.
//
// Each test file runs as `node --test-reporter=spec FILE`: node:test runs a file's tests when
// the file is run directly, and `node --test FILE` would only start one more Node process to
// run it in (about 0.2 s of processor time per file, half a minute over the suite). Files are
// independent processes, so several run at once: many files spend most of their time waiting
// on timers and round trips. Each file's output is printed whole once the file is done, so files never
// interleave; the closing lines add up every file: `ℹ tests N`, `ℹ pass N`, `ℹ fail N`, ...,
// then one plain line `N passed, N failed`. The exit status is 1 if any file failed.
//
// DSOCK_TEST_CONCURRENCY sets how many files run at once (default: twice the processors, at
// least 2). The files that took longest last time (build/test-durations.json) start first.
// On Linux the processor time each file used (the file's process and every process it started
// and waited for) is shown beside its wall time: when the sum of those
// comes near processors x wall, more files at once cannot make the run shorter.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { URL } from 'node:url';

/**
 * How long one test file may run as a whole (the tests inside have their own bounded waits):
 * a file still running after FILE_TIMEOUT_MS is killed and counted as failed, its output so far
 * printed (the spec reporter writes each test as it ends, so the first one missing is the one
 * that hung). Files share the processors, so a long file (the reliable proofs through the
 * chaos relay, a minute or more on a busy machine) gets far more than it needs.
 */
const FILE_TIMEOUT_MS = 300_000;
const DURATIONS = join('build', 'test-durations.json');
const CLOCK_TICKS_PER_SECOND = 100;
const COUNTERS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'];

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = findTests('build/test').filter(
  (f) => filters.length === 0 || filters.some((w) => f.includes(w)),
);
if (files.length === 0) {
  console.error('no test files found under build/test (did `tsc -p tsconfig.json` run?)');
  process.exit(1);
}

// The datagram tests run against both datagram paths: the native addon when it is built (or
// in CI, where it must be), with DSOCK_NATIVE=1 so that an addon that fails to load is an error
// rather than a second run over node:dgram; and over node:dgram with DSOCK_NATIVE=0.
// DSOCK_NATIVE set by the caller is left as it is.
const nativeBuilt = existsSync(join('build', 'Release', 'dsock_native.node'));
const nativeRequired = nativeBuilt || process.env.CI === 'true';
const mainEnv =
  process.env.DSOCK_NATIVE === undefined && nativeRequired ? { DSOCK_NATIVE: '1' } : {};
const datagramFiles = files.filter((f) => f.includes(join('build', 'test', 'datagram') + '/'));
const typeScriptPass =
  datagramFiles.length > 0 && process.env.DSOCK_NATIVE !== '0' && nativeRequired;
const nativeNote =
  datagramFiles.length > 0 && process.env.DSOCK_NATIVE !== '0' && !nativeRequired
    ? `# native datagram addon not built (${await nativeBuildFailure()}): the datagram tests ran on ` +
      'the TypeScript path only'
    : undefined;
if (nativeNote) console.log(`${nativeNote.replace(' ran on ', ' run on ')}\n`);

/** Why the addon is not used: the library's own reason, and the build log's last error. */
async function nativeBuildFailure() {
  let reason;
  try {
    const { DatagramSocket } = await import(new URL('../dist/index.js', import.meta.url).href);
    reason = DatagramSocket.nativeStatus;
  } catch (error) {
    reason = `dsock could not be loaded: ${error.message.split('\n')[0]}`;
  }
  const log = join('build', 'native-build.log');
  if (!existsSync(log)) return `${reason}; no build log: the install script did not run`;
  const failure = readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => /not built|error|ERR!|not found|failed/i.test(l))
    .pop();
  return `${reason}${failure ? `; the build said: ${failure.trim().slice(0, 160)}` : ''}; see ${log}`;
}

const jobs = [
  ...files.map((file) => ({ file, env: mainEnv, label: file })),
  ...(typeScriptPass ? datagramFiles : []).map((file) => ({
    file,
    env: { DSOCK_NATIVE: '0' },
    label: `${file} (TypeScript path, DSOCK_NATIVE=0)`,
  })),
];

/**
 * The files that took longest on a quiet machine (30 s to 2 min each): on a fresh clone, with no
 * durations recorded yet, they start first rather than in list order, so that the run does not
 * end with one of them alone. Only an ordering hint: a file missing from it still runs.
 */
const LONG_FILES = [
  'build/test/reliable/chaos-delivery.test.js',
  'build/test/cli/reliable.test.js',
  'build/test/netlab/broadcast-multicast.test.js',
  'build/test/netlab/discovery.test.js',
  'build/test/readme/readme.test.js',
  'build/test/stream/socket-options.test.js',
  'build/test/adversarial/chat-stalled-member.test.js',
  'build/test/interop/core.test.js',
  'build/test/framing/frame-decoder.test.js',
  'build/test/datagram/resources.test.js',
];

let previous = {};
try {
  previous = JSON.parse(readFileSync(DURATIONS, 'utf8'));
} catch {
  // No durations yet: the long files above first, then the others in list order.
}
// Longest first, so that the long files do not start last; files never timed go first (the
// known long ones before the others).
const UNTIMED = 1e12;
const hint = (job) =>
  LONG_FILES.includes(job.file) ? LONG_FILES.length - LONG_FILES.indexOf(job.file) : 0;
const order = (job) => previous[job.label] ?? UNTIMED + hint(job);
const queue = jobs
  .map((job, i) => ({ ...job, i }))
  .sort((a, b) => order(b) - order(a) || a.i - b.i);

const concurrency = Math.max(
  1,
  Number(process.env.DSOCK_TEST_CONCURRENCY) || Math.max(2, availableParallelism() * 2),
);
const color = process.stdout.isTTY ? { FORCE_COLOR: '1' } : {};
const totals = Object.fromEntries(COUNTERS.map((c) => [c, 0]));
const failedFiles = [];
const durations = {};
/** Processor ms per file label, where the system tells (Linux). */
const processorTimes = {};
const started = performance.now();

console.log(`# ${jobs.length} test files, ${concurrency} at a time\n`);

/**
 * The processor time, in ms, of the children this process has waited for (Linux: cutime and
 * cstime of /proc/self/stat), or undefined elsewhere. Read when a file's process has exited,
 * the growth since the last reading is that file's: two files that end at the same instant
 * share one figure, which only blurs the per-file split, not the sum.
 */
let childTicksSeen = childProcessorTicks();
function childProcessorTicks() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of stat(5), counted from the state (field 3) here.
    return Number(fields[13]) + Number(fields[14]);
  } catch {
    return undefined;
  }
}
function processorMsOfLastExit() {
  const ticks = childProcessorTicks();
  if (ticks === undefined || childTicksSeen === undefined) return undefined;
  const ms = ((ticks - childTicksSeen) * 1000) / CLOCK_TICKS_PER_SECOND;
  childTicksSeen = ticks;
  return ms;
}

/** Runs one test file in its own `node --test`, its output collected; resolves when done. */
function runFile(job) {
  return new Promise((resolve) => {
    const begin = performance.now();
    const child = spawn(process.execPath, ['--test-reporter=spec', job.file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...color, ...job.env },
    });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, FILE_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - begin;
      durations[job.label] = Math.round(ms);
      const cpu = processorMsOfLastExit();
      if (cpu !== undefined) processorTimes[job.label] = cpu;
      const text = Buffer.concat(output).toString('utf8');
      const counts = summaryOf(text);
      for (const c of COUNTERS) totals[c] += counts[c] ?? 0;
      let problem;
      if (timedOut) problem = `killed after ${FILE_TIMEOUT_MS / 1000} s`;
      else if (code !== 0) problem = `exit status ${code ?? signal}`;
      if (counts.tests === undefined) problem ??= 'no test summary';
      if (problem !== undefined) {
        failedFiles.push(`${job.label}: ${problem}`);
        // A file that failed without a failing test (a crash, a hang) still counts as one.
        if (!counts.fail) totals.fail += 1;
      }
      const cpuNote = cpu === undefined ? '' : `, ${(cpu / 1000).toFixed(1)} s processor`;
      process.stdout.write(`# ${job.label} (${(ms / 1000).toFixed(1)} s${cpuNote})\n${text}\n`);
      resolve();
    });
  });
}

/** The `ℹ NAME N` closing lines of one file's spec output. */
function summaryOf(text) {
  const counts = {};
  // eslint-disable-next-line no-control-regex
  const plain = text.replace(/\x1b\[[0-9;]*m/g, '');
  for (const match of plain.matchAll(/^ℹ (\w+) (\d+)/gm)) {
    if (COUNTERS.includes(match[1])) counts[match[1]] = Number(match[2]);
  }
  return counts;
}

async function worker() {
  for (let job = queue.shift(); job !== undefined; job = queue.shift()) await runFile(job);
}

await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));

try {
  if (filters.length === 0) writeFileSync(DURATIONS, `${JSON.stringify(durations, null, 1)}\n`);
} catch {
  // Only an ordering hint for the next run.
}

const byDuration = Object.entries(durations).sort((a, b) => b[1] - a[1]);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const cpuOf = (label) =>
  processorTimes[label] === undefined ? '' : ` (${seconds(processorTimes[label])} processor)`;
const slowest = byDuration
  .slice(0, 10)
  .map(([label, ms]) => `#   ${seconds(ms)}  ${label}${cpuOf(label)}`);
console.log(`# slowest files:\n${slowest.join('\n')}`);
const byProcessor = Object.entries(processorTimes).sort((a, b) => b[1] - a[1]);
if (byProcessor.length > 0) {
  const busiest = byProcessor.slice(0, 10).map(([label, ms]) => `#   ${seconds(ms)}  ${label}`);
  console.log(`# files that used the most processor time:\n${busiest.join('\n')}`);
}
// The sum over the files against the wall time: how much running them side by side saved.
const sum = byDuration.reduce((total, [, ms]) => total + ms, 0);
const processorSum = byProcessor.reduce((total, [, ms]) => total + ms, 0);
const processorNote =
  byProcessor.length > 0
    ? `, ${seconds(processorSum)} processor time on ${availableParallelism()} processors`
    : '';
console.log(
  `# ${byDuration.length} files: ${seconds(sum)} summed, ${seconds(performance.now() - started)} ` +
    `wall, ${concurrency} at a time${processorNote}`,
);
if (nativeNote) console.log(nativeNote);
if (failedFiles.length > 0) console.log(`# failed files:\n#   ${failedFiles.join('\n#   ')}`);
for (const c of COUNTERS) console.log(`ℹ ${c} ${totals[c]}`);
console.log(`ℹ duration_ms ${Math.round(performance.now() - started)}`);
console.log(`${totals.pass} passed, ${totals.fail} failed`);
process.exit(failedFiles.length > 0 || totals.fail > 0 ? 1 : 0);
