#!/usr/bin/env node
// Runs every compiled test file under build/test with Node's built-in test runner.
// Node 20 has no glob support in --test, and helper modules under test/ must not be
// picked up as test files, so the list is made here: only files named *.test.js.
//
// A test file runs as `node --test-reporter=spec FILE`: node:test runs a file's tests when the
// file is run directly (`node --test FILE` would only start one more Node process to run it in).
// Starting Node and loading node:test and dsock costs about 0.25 s of processor time per
// process, so light files share one: a group process (scripts/test-group.js) imports its files
// one after another and node:test runs each file's tests before the next file is imported. Each
// file still gets its own output and counters, a failing file is still named, and a file that
// hangs is still killed after FILE_TIMEOUT_MS (the files of its group not yet started then run in
// a new group process). A file that leaves something open (a server, a socket, a timer) would
// keep its own process from exiting: a group process still alive GROUP_EXIT_MS after its last
// file is killed, and each file that opened a handle still open then (a server, a socket, a
// pipe, a child: each named, with its addresses or command line) fails the run, the others not;
// what no file opened fails the group, once. `node scripts/run-tests.js --plan [FILTER...]` prints which files share a
// process and why the others run alone, without running anything.
//
// Which files share a process, by this rule:
// - A file runs alone when it, or a module under the test directory that it imports (directly or
//   through others), uses something of the whole process, listed in ISOLATION (the process's
//   memory, descriptors or handles, V8 flags, process event listeners, environment variables,
//   top-level before/beforeEach/afterEach hooks, which would apply to the files after it), or
//   carries the comment `// run-tests: own process`.
// - A file runs alone when it is heavy: it used at least LIGHT_PROCESSOR_MS of processor time on
//   its last run (build/test-durations.json, or, before the first, test/durations.json), or,
//   never timed, it starts processes (imports node:child_process, directly or through a
//   helper) or is one of LONG_FILES. Grouping only
//   saves the start of a process; a heavy file gains little from it and would hold up the
//   light ones behind it.
// - The other files share processes, in list order, up to GROUP_PROCESSOR_MS of processor time
//   and GROUP_WALL_MS of wall time (as last timed; a file never timed counts as
//   UNTIMED_FILE_MS) and GROUP_MAX_FILES files per process. Files run with different
//   environments (the two datagram passes) never share one.
//
// Units (a file alone or a group) run several at once: many files spend most of their time
// waiting on timers and round trips. Each file's output is printed whole once the file is done,
// so files never interleave; the closing lines add up every file: `ℹ tests N`, `ℹ pass N`,
// `ℹ fail N`, ..., then one plain line `N passed, N failed`. The exit status is 1 if any file
// failed.
//
// DSOCK_TEST_CONCURRENCY sets how many units run at once (default: twice the processors, at
// least 2). Without it, a few more may run while those running mostly wait: a unit whose last
// run (build/test-durations.json) used its processor less than a third of its wall time starts
// beyond that count as long as the running units' shares of a processor add up to no more than
// the processors. (Simply running more at once made the processor-bound files contend: the
// processor time of the whole run grew by a fifth.) The units that took longest last time
// start first.
// On Linux the processor time each file used (its process, or its share of its group's
// process, and every process it started and waited for) is shown beside its wall time: when
// the sum of those comes near processors x wall, more files at once cannot make the run shorter.
//
// For the runner's own tests: DSOCK_TEST_ROOT is the directory searched instead of build/test
// (durations are then neither read nor written), DSOCK_TEST_FILE_TIMEOUT_MS replaces
// FILE_TIMEOUT_MS, and DSOCK_TEST_GROUP_EXIT_MS the time a group process may stay alive after
// its last file (default 30 s).
import {
  existsSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { Buffer } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, URL } from 'node:url';
import { childProcessorTicks, COUNTERS, MARKER, ticksToMs } from './test-group-reporter.js';

/**
 * How long one test file may run as a whole (the tests inside have their own bounded waits):
 * a file still running after FILE_TIMEOUT_MS is killed and counted as failed, its output so far
 * printed (the spec reporter writes each test as it ends, so the first one missing is the one
 * that hung). Files share the processors, so a long file (the reliable proofs through the
 * chaos relay, a minute or more on a busy machine) gets far more than it needs.
 */
const FILE_TIMEOUT_MS = Number(process.env.DSOCK_TEST_FILE_TIMEOUT_MS) || 300_000;
/** How long a group process may stay alive after its last file ended, before it is killed. */
const GROUP_EXIT_MS = Number(process.env.DSOCK_TEST_GROUP_EXIT_MS) || 30_000;
/** A file that used less processor time than this on its last run may share a process. */
const LIGHT_PROCESSOR_MS = 2500;
/** The most processor time, wall time and files (as last timed) one group process is given. */
const GROUP_PROCESSOR_MS = 5000;
const GROUP_WALL_MS = 15_000;
const GROUP_MAX_FILES = 12;
/** What a file never timed counts for in a group. */
const UNTIMED_FILE_MS = 1000;
const SCRIPTS = dirname(fileURLToPath(import.meta.url));
const DEFAULT_ROOT = join('build', 'test');
const ROOT = process.env.DSOCK_TEST_ROOT || DEFAULT_ROOT;
const DURATIONS = join('build', 'test-durations.json');

/**
 * What makes a file need a process of its own: a use of something that belongs to the whole
 * process, which the files before or after it in a shared process would disturb or see.
 * Matched in the compiled file and in every module under the test directory it imports, except
 * MEASURING_HELPER: its functions are found by their names where they are called (a module that
 * only passes one on, `export { x } from ...`, does not count).
 */
const ISOLATION = [
  [
    /\b(rssOf|peakRssOf|heapUsedAfterGc|allocatedDuring|openFdCount|tcpSocketsInState|activeTimers)\(/,
    "measures its process's memory, descriptors, sockets or timers",
  ],
  [
    /(?<![\w.])process\.(memoryUsage|resourceUsage|cpuUsage|getActiveResourcesInfo|_getActiveHandles|_getActiveRequests)\b/,
    'measures its process',
  ],
  [/\bsetFlagsFromString\b/, 'changes V8 flags'],
  [
    /(?<![\w.])process\.(on|once|addListener|prependListener|prependOnceListener|off|removeListener|removeAllListeners|setMaxListeners)\(/,
    'listens to process events',
  ],
  [
    /(?<![\w.])process\.env(\.\w+|\[[^\]]+\])\s*(=[^=]|\?\?=|\|\|=)|delete process\.env/,
    'sets environment variables',
  ],
  [
    /(?<![\w.])process\.(exitCode\s*=[^=]|chdir\(|umask\(|title\s*=[^=]|setuid\(|setgid\()/,
    'changes process state',
  ],
  [/^(before|beforeEach|afterEach)\(/m, 'has top-level hooks that would apply to later files'],
  [
    /\b(globalThis|global)(\.[\w$]+|\[[^\]]+\])\s*(=[^=]|\?\?=|\|\|=)|delete (globalThis|global)\b|defineProperty\((globalThis|global)\b/,
    'sets a global',
  ],
  [/\bmock\.timers\.enable\(/, 'mocks the timers'],
  [
    /\.\.\/dist\//,
    "loads the built package (dist/) beside build/'s copy: the native addon loads once a process",
  ],
  [/\/\/ run-tests: own process/, 'asks for its own process'],
];
const MEASURING_HELPER = join('helpers', 'resources.js');
const STARTS_PROCESSES = /['"]node:child_process['"]/;

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2).filter((a) => a !== '--plan');
const planOnly = process.argv.includes('--plan');
const files = (existsSync(ROOT) ? findTests(ROOT) : []).filter(
  (f) => filters.length === 0 || filters.some((w) => f.includes(w)),
);
if (files.length === 0) {
  console.error(`no test files found under ${ROOT} (did \`tsc -p tsconfig.json\` run?)`);
  process.exit(1);
}

// The tests of what the native addon does run against both paths: the addon when it is built
// (or in CI, where it must be), with DSOCK_NATIVE=1 so that an addon that fails to load is an
// error rather than a second run without it; and without it, with DSOCK_NATIVE=0. Those are
// the datagram tests (node:dgram underneath) and the stream tests of recvInto (Node's own read,
// where the addon reads from the kernel straight into the caller's memory).
// DSOCK_NATIVE set by the caller is left as it is.
const nativeBuilt = existsSync(join('build', 'Release', 'dsock_native.node'));
const nativeRequired = nativeBuilt || process.env.CI === 'true';
const mainEnv =
  process.env.DSOCK_NATIVE === undefined && nativeRequired ? { DSOCK_NATIVE: '1' } : {};
const NATIVE_STREAM_TESTS = /\/stream\/(recv-into[^/]*|kernel-read|kernel-write)\.test\.js$/;
const nativePathFiles = files.filter(
  (f) => f.includes(join('build', 'test', 'datagram') + '/') || NATIVE_STREAM_TESTS.test(f),
);
const typeScriptPass =
  nativePathFiles.length > 0 && process.env.DSOCK_NATIVE !== '0' && nativeRequired;
const nativeNote =
  nativePathFiles.length > 0 && process.env.DSOCK_NATIVE !== '0' && !nativeRequired
    ? `# native addon not built (${await nativeBuildFailure()}): the tests of its paths ran on ` +
      'the TypeScript paths only'
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
  ...(typeScriptPass ? nativePathFiles : []).map((file) => ({
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
  'build/test/docs/examples.test.js',
  'build/test/stream/socket-options.test.js',
  'build/test/adversarial/chat-stalled-member.test.js',
  'build/test/interop/core.test.js',
  'build/test/framing/frame-decoder.test.js',
  'build/test/datagram/resources.test.js',
];

/** Per label: { ms, processorMs } of the last full run (older files hold only the ms). */
const previous = {};
/**
 * The durations of a full run on a quiet two-processor machine, kept with the tests (refresh it
 * with `cp build/test-durations.json test/durations.json` after a full run): a fresh clone then
 * starts the long files first and shares processes among the light ones from its first run,
 * instead of running every file that starts processes alone (about 40 Node.js processes more).
 */
const SEED_DURATIONS = join('test', 'durations.json');
for (const file of ROOT === DEFAULT_ROOT ? [SEED_DURATIONS, DURATIONS] : []) {
  try {
    const recorded = JSON.parse(readFileSync(file, 'utf8'));
    for (const [label, value] of Object.entries(recorded))
      previous[label] = typeof value === 'number' ? { ms: value } : value;
  } catch {
    // None recorded: the long files above first, then the others in list order.
  }
}

/** The text of a compiled module and of every module under ROOT it imports, by path. */
const sources = new Map();
function moduleTree(path, into = new Map()) {
  if (into.has(path)) return into;
  let text = sources.get(path);
  if (text === undefined) {
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      text = '';
    }
    sources.set(path, text);
  }
  into.set(path, text);
  for (const match of text.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const imported = resolve(dirname(path), match[1]);
    if (imported.startsWith(resolve(ROOT))) moduleTree(imported, into);
  }
  return into;
}

/** Why `file` needs a process of its own (see ISOLATION), or undefined. */
function isolationReason(file) {
  for (const [path, text] of moduleTree(resolve(file))) {
    if (path === resolve(ROOT, MEASURING_HELPER)) continue;
    const code = text.replace(/^export \{[^}]*\} from .*$/gm, '');
    for (const [pattern, reason] of ISOLATION) {
      if (pattern.test(code)) {
        const where =
          path === resolve(file) ? '' : ` (through ${path.slice(resolve(ROOT).length + 1)})`;
        return `${reason}${where}`;
      }
    }
  }
  return undefined;
}

/** True when `job` may share a process: nothing of the whole process, and light. */
function shareable(job) {
  if (isolationReason(job.file) !== undefined) return false;
  const last = previous[job.label];
  if (last?.processorMs !== undefined) return last.processorMs < LIGHT_PROCESSOR_MS;
  if (LONG_FILES.includes(job.file)) return false;
  return ![...moduleTree(resolve(job.file)).values()].some((text) => STARTS_PROCESSES.test(text));
}

/** The units to run: `{ jobs: [job] }` alone, or several jobs of one environment together. */
const units = [];
const openGroups = new Map();
for (const job of jobs) {
  if (!shareable(job)) {
    units.push({ jobs: [job] });
    continue;
  }
  const key = JSON.stringify(job.env);
  const processorMs = previous[job.label]?.processorMs ?? UNTIMED_FILE_MS;
  const ms = previous[job.label]?.ms ?? UNTIMED_FILE_MS;
  let group = openGroups.get(key);
  if (
    group === undefined ||
    group.jobs.length >= GROUP_MAX_FILES ||
    group.processorMs + processorMs > GROUP_PROCESSOR_MS ||
    group.ms + ms > GROUP_WALL_MS
  ) {
    group = { jobs: [], processorMs: 0, ms: 0 };
    openGroups.set(key, group);
    units.push(group);
  }
  group.jobs.push(job);
  group.processorMs += processorMs;
  group.ms += ms;
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

// Longest first (a group counts the time of all its files), so that the long units do not
// start last; units with a file never timed go first (the known long ones before the others).
const UNTIMED = 1e12;
const hint = (job) =>
  LONG_FILES.includes(job.file) ? LONG_FILES.length - LONG_FILES.indexOf(job.file) : 0;
const order = (unit) =>
  unit.jobs.some((job) => previous[job.label]?.ms === undefined)
    ? UNTIMED + Math.max(...unit.jobs.map(hint))
    : unit.jobs.reduce((sum, job) => sum + previous[job.label].ms, 0);
const queue = units
  .map((unit, i) => ({ jobs: unit.jobs, i }))
  .sort((a, b) => order(b) - order(a) || a.i - b.i);

if (planOnly) {
  // `--plan`: which files share a process and why the others run alone, without running them.
  for (const unit of queue) {
    if (unit.jobs.length > 1) {
      console.log(
        `shared by ${unit.jobs.length}:\n  ${unit.jobs.map((j) => j.label).join('\n  ')}`,
      );
      continue;
    }
    const [job] = unit.jobs;
    const why =
      isolationReason(job.file) ??
      (previous[job.label]?.processorMs !== undefined
        ? `${seconds(previous[job.label].processorMs)} processor last time`
        : LONG_FILES.includes(job.file)
          ? 'one of the long files'
          : 'starts processes (never timed)');
    console.log(`alone: ${job.label}: ${why}`);
  }
  process.exit(0);
}

/** The count DSOCK_TEST_CONCURRENCY asks for; undefined when unset, 0 or not a number. */
const concurrencyAsked = Number(process.env.DSOCK_TEST_CONCURRENCY) || undefined;
const concurrency = Math.max(1, concurrencyAsked ?? Math.max(2, availableParallelism() * 2));
/** The most units at once, waiting ones included (see the header). */
const mostAtOnce =
  concurrencyAsked === undefined ? concurrency + availableParallelism() : concurrency;
/** A unit that used its processor less than this share of its wall time mostly waits. */
const WAITING_SHARE = 1 / 3;

/** The share of a processor `unit` used over its wall time last time (1 when not known). */
function lastShare(unit) {
  let ms = 0;
  let processorMs = 0;
  for (const job of unit.jobs) {
    const last = previous[job.label];
    if (last?.processorMs === undefined || !(last.ms > 0)) return 1;
    ms += last.ms;
    processorMs += last.processorMs;
  }
  return Math.min(1, processorMs / ms);
}
/** {@link lastShare}, kept on the unit: a killed group puts its files back as new units. */
function processorShare(unit) {
  unit.share ??= lastShare(unit);
  return unit.share;
}
const color = process.stdout.isTTY ? { FORCE_COLOR: '1' } : {};

/**
 * The tests start Python peers (`python3`) dozens of times. Where `python3` on the PATH is a
 * version manager's shim (pyenv's is a shell script that runs `pyenv exec`, about 0.4 s of
 * processor time per start against 0.08 s for Python itself), the test processes get the
 * directory of the interpreter it starts first on their PATH, as `pyenv exec` does itself: the
 * same Python, found once for the whole run.
 */
function pythonFirst() {
  const paths = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const onPath = paths.map((dir) => join(dir, 'python3')).find((file) => existsSync(file));
  if (onPath === undefined) return {};
  const asked = spawnSync(onPath, ['-c', 'import sys; print(sys.executable)'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  const executable = asked.status === 0 ? asked.stdout.trim() : '';
  if (!executable || !existsSync(executable)) return {};
  if (realpathSync(onPath) === realpathSync(executable)) return {};
  return { PATH: [dirname(executable), ...paths].join(delimiter) };
}
const python = pythonFirst();

/**
 * The environment of the test processes: the runner's, without NODE_EXTRA_CA_CERTS. Node.js
 * reads and parses that file of certificates at every start (about 40 ms of processor time with
 * a system bundle), and the suite starts hundreds of Node.js processes, none of which reaches a
 * TLS server it did not make with its own certificate authority.
 */
function testEnvironment() {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}
const baseEnv = testEnvironment();
const totals = Object.fromEntries(COUNTERS.map((c) => [c, 0]));
const failedFiles = [];
/** Per file label: { ms, processorMs } of this run. */
const durations = {};
/** Processor ms per file label, where the system tells (Linux). */
const processorTimes = {};
/** Processor ms of group processes not spent in any one file (starting Node, loading). */
let groupOverheadMs = 0;
let groupProcesses = 0;
let processes = 0;
const started = performance.now();

const groupCount = queue.filter((unit) => unit.jobs.length > 1).length;
const plural = (n, word, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;
function atATime() {
  const more = mostAtOnce > concurrency ? ` (up to ${mostAtOnce} while they mostly wait)` : '';
  return `${concurrency} at a time${more}`;
}
console.log(
  `# ${plural(jobs.length, 'test file')} in ${plural(queue.length, 'process', 'processes')} ` +
    `(${groupCount} of them shared by several files), ${atATime()}\n`,
);

/**
 * The processor time, in ms, of the last child this process has waited for (Linux), or
 * undefined elsewhere. Read when a process has exited, the
 * growth since the last reading is that process's: two that end at the same instant share one
 * figure, which only blurs the split, not the sum.
 */
let childTicksSeen = childProcessorTicks();
function processorMsOfLastExit() {
  const ticks = childProcessorTicks();
  if (ticks === undefined || childTicksSeen === undefined) return undefined;
  const ms = ticksToMs(ticks - childTicksSeen);
  childTicksSeen = ticks;
  return ms;
}

/**
 * Counts and prints one file's result. `problem` is why it failed other than by a failing test
 * (a crash, a hang), if it did; `strict` (files in a group, which have no exit status of their
 * own) fails it on a failing or cancelled test as its exit status would have.
 */
function fileDone(job, { text, ms, processorMs, problem, strict }) {
  durations[job.label] = { ms: Math.round(ms) };
  if (processorMs !== undefined) {
    processorTimes[job.label] = processorMs;
    durations[job.label].processorMs = Math.round(processorMs);
  }
  const counts = summaryOf(text);
  for (const c of COUNTERS) totals[c] += counts[c] ?? 0;
  if (counts.tests === undefined) problem ??= 'no test summary';
  if (strict && (counts.fail > 0 || counts.cancelled > 0))
    problem ??= `${counts.fail ?? 0} failed, ${counts.cancelled ?? 0} cancelled`;
  if (problem !== undefined) {
    failedFiles.push(`${job.label}: ${problem}`);
    // A file that failed without a failing test (a crash, a hang) still counts as one.
    if (!counts.fail) totals.fail += 1;
  }
  const cpuNote = processorMs === undefined ? '' : `, ${seconds(processorMs)} processor`;
  process.stdout.write(`# ${job.label} (${seconds(ms)}${cpuNote})\n${text}\n`);
}

/** Counts a failure found outside any file's own output (after it ended, or in no file). */
function lateFailure(label, problem, text) {
  failedFiles.push(`${label}: ${problem}`);
  totals.fail += 1;
  process.stdout.write(`# ${label}: ${problem}\n${text}\n`);
}

/** Runs one test file in its own process, its output collected; resolves when done. */
function runAlone(job) {
  return new Promise((resolveRun) => {
    const begin = performance.now();
    processes += 1;
    const child = spawn(process.execPath, ['--test-reporter=spec', job.file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...baseEnv, ...python, ...color, ...job.env },
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
      let problem;
      if (timedOut) problem = `killed after ${FILE_TIMEOUT_MS / 1000} s`;
      else if (code !== 0) problem = `exit status ${code ?? signal}`;
      fileDone(job, {
        text: Buffer.concat(output).toString('utf8'),
        ms: performance.now() - begin,
        processorMs: processorMsOfLastExit(),
        problem,
      });
      resolveRun();
    });
  });
}

/**
 * Runs several test files in one group process (scripts/test-group.js) and reads the markers
 * of scripts/test-group-reporter.js to split its output by file. Standard error is joined to
 * standard output by the shell, so that what a file prints stays between its markers. If the
 * process ends in the middle of a file (a crash, or killed after FILE_TIMEOUT_MS), that file
 * fails and the files not yet started go back to the front of the queue as a new group.
 */
function runGroup(unit) {
  return new Promise((resolveRun) => {
    const { jobs: members } = unit;
    const byFile = new Map(members.map((job) => [job.file, job]));
    const groupLabel = `the process shared by ${members.map((job) => job.label).join(', ')}`;
    processes += 1;
    groupProcesses += 1;
    const child = spawn(
      '/bin/sh',
      [
        '-c',
        'exec "$0" "$@" 2>&1',
        process.execPath,
        `--test-reporter=${join(SCRIPTS, 'test-group-reporter.js')}`,
        join(SCRIPTS, 'test-group.js'),
        ...members.map((job) => job.file),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          ...baseEnv,
          ...python,
          ...color,
          ...members[0].env,
          DSOCK_TEST_GROUP_EXIT_MS: String(GROUP_EXIT_MS),
        },
      },
    );
    const decoder = new StringDecoder('utf8');
    let pending = '';
    /** The file between its start and end markers: { job, text, began }. */
    let current;
    const started = new Set();
    let outside = '';
    let filesProcessorMs = 0;
    let failuresSeen = false;
    let stuckSeen = false;
    let killedFor;
    let timer;
    const arm = (ms, why) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        killedFor = why;
        child.kill('SIGKILL');
      }, ms);
    };
    arm(FILE_TIMEOUT_MS, 'start');

    const take = (text) => {
      if (current) current.text += text;
      else outside += text;
    };
    const onMarker = (fields) => {
      if (fields.start !== undefined) {
        const job = byFile.get(fields.start);
        started.add(fields.start);
        current = { job, text: '', began: performance.now() };
        arm(FILE_TIMEOUT_MS, 'file');
      } else if (fields.end !== undefined && current) {
        filesProcessorMs += fields.processorMs;
        const failedBefore = failedFiles.length;
        fileDone(current.job, {
          text: current.text,
          ms: fields.ms,
          processorMs: fields.processorMs,
          strict: true,
        });
        if (failedFiles.length > failedBefore) failuresSeen = true;
        current = undefined;
        const allEnded = members.every((job) => started.has(job.file));
        arm(allEnded ? GROUP_EXIT_MS + 5000 : FILE_TIMEOUT_MS, allEnded ? 'exit' : 'start');
      } else if (fields.late !== undefined) {
        failuresSeen = true;
        const label = byFile.get(fields.late)?.label ?? groupLabel;
        lateFailure(label, fields.problem ?? 'failed after its tests ended', fields.text);
      } else if (fields.stuck !== undefined) {
        failuresSeen = true;
        stuckSeen = true;
        // Only the files whose handles are still open fail: the others passed, and a group
        // that cannot exit says so once, naming what holds it, rather than through every file.
        let errors = fields.uncaught.map((e) => `errors thrown after their tests ended:\n${e}\n`);
        const why = `its process had not exited ${GROUP_EXIT_MS / 1000} s after its tests, and was ended`;
        for (const { file, open } of fields.stuck) {
          const label = file === null ? groupLabel : (byFile.get(file)?.label ?? file);
          const opened = file === null ? 'opened outside its files' : 'opened while it ran';
          lateFailure(label, `left open ${open.join('; ')} (${opened}): ${why}`, errors.join(''));
          errors = [];
        }
        if (fields.stuck.length === 0 || errors.length > 0) {
          lateFailure(
            groupLabel,
            `${why}, with nothing open that Node.js lists (a native handle?)`,
            errors.join(''),
          );
        }
        child.kill('SIGKILL');
      }
    };
    const parse = (chunk) => {
      pending += chunk;
      for (;;) {
        const at = pending.indexOf(MARKER);
        if (at < 0) {
          // Keep what could be the start of a marker split between two reads.
          const keep = Math.min(pending.length, MARKER.length - 1);
          take(pending.slice(0, pending.length - keep));
          pending = pending.slice(pending.length - keep);
          return;
        }
        const lineEnd = pending.indexOf('\n', at);
        if (lineEnd < 0) {
          take(pending.slice(0, at));
          pending = pending.slice(at);
          return;
        }
        take(pending.slice(0, at));
        const json = pending.slice(at + MARKER.length, lineEnd);
        pending = pending.slice(lineEnd + 1);
        onMarker(JSON.parse(json));
      }
    };
    child.stdout.on('data', (chunk) => parse(decoder.write(chunk)));
    child.stderr.on('data', (chunk) => take(chunk.toString('utf8')));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      take(pending + decoder.end());
      const total = processorMsOfLastExit();
      if (current) {
        const problem =
          killedFor === 'file'
            ? `killed after ${FILE_TIMEOUT_MS / 1000} s`
            : `its process ended with status ${code ?? signal} during the file`;
        fileDone(current.job, {
          text: current.text,
          ms: performance.now() - current.began,
          processorMs: undefined,
          problem,
        });
        failuresSeen = true;
      }
      if (total !== undefined) groupOverheadMs += Math.max(0, total - filesProcessorMs);
      const notStarted = members.filter((job) => !started.has(job.file));
      if (started.size === 0) {
        // The group process itself failed: the runner is broken, not a file. Its files still
        // run, each alone, so that their results are known.
        lateFailure(groupLabel, `failed before its first file (${code ?? signal})`, outside);
        for (const job of notStarted) queue.unshift({ jobs: [job] });
      } else {
        if (notStarted.length > 0) queue.unshift({ jobs: notStarted });
        if (outside.trim() !== '')
          process.stdout.write(`# output of ${groupLabel} outside its files:\n${outside}\n`);
        if (killedFor === 'exit' && !stuckSeen) {
          // No stuck marker came: the process did not even get to say what held it.
          lateFailure(
            groupLabel,
            `did not exit ${GROUP_EXIT_MS / 1000} s after its last file, nor say what kept it ` +
              '(its event loop blocked?)',
            '',
          );
        } else if (code !== 0 && !failuresSeen) {
          lateFailure(groupLabel, `exit status ${code ?? signal} with no failing file`, '');
        }
      }
      resolveRun();
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

/**
 * Runs the queue: the first unit whenever fewer than `concurrency` run; beyond that, up to
 * `mostAtOnce`, the first unit that mostly waits, while the running units' processor shares,
 * its own included, stay within the processors.
 */
function runQueue() {
  const processors = availableParallelism();
  let running = 0;
  let shares = 0;
  return new Promise((resolveAll) => {
    const next = () => {
      while (queue.length > 0) {
        let index = -1;
        if (running < concurrency) index = 0;
        else if (running < mostAtOnce) {
          index = queue.findIndex(
            (unit) =>
              processorShare(unit) < WAITING_SHARE && shares + processorShare(unit) <= processors,
          );
        }
        if (index < 0) break;
        const [unit] = queue.splice(index, 1);
        running++;
        shares += processorShare(unit);
        const run = unit.jobs.length === 1 ? runAlone(unit.jobs[0]) : runGroup(unit);
        void run.finally(() => {
          running--;
          shares -= unit.share;
          next();
        });
      }
      if (running === 0 && queue.length === 0) resolveAll();
    };
    next();
  });
}

await runQueue();

try {
  if (filters.length === 0 && ROOT === DEFAULT_ROOT)
    writeFileSync(DURATIONS, `${JSON.stringify(durations, null, 1)}\n`);
} catch {
  // Only an ordering hint for the next run.
}

const byDuration = Object.entries(durations)
  .map(([label, { ms }]) => [label, ms])
  .sort((a, b) => b[1] - a[1]);
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
// The processor time of the group processes outside their files (starting Node, loading
// node:test and dsock once for all their files) is part of the sum.
const sum = byDuration.reduce((total, [, ms]) => total + ms, 0);
const processorSum = byProcessor.reduce((total, [, ms]) => total + ms, groupOverheadMs);
const processorNote =
  byProcessor.length > 0
    ? `, ${seconds(processorSum)} processor time on ${availableParallelism()} processors` +
      (groupProcesses > 0
        ? ` (${seconds(groupOverheadMs)} of it in ${groupProcesses} shared processes outside ` +
          'their files)'
        : '')
    : '';
console.log(
  `# ${plural(byDuration.length, 'file')}: ${seconds(sum)} summed, ${seconds(performance.now() - started)} ` +
    `wall, ${plural(processes, 'process', 'processes')}, ${atATime()}` +
    processorNote,
);
if (nativeNote) console.log(nativeNote);
if (failedFiles.length > 0) console.log(`# failed files:\n#   ${failedFiles.join('\n#   ')}`);
for (const c of COUNTERS) console.log(`ℹ ${c} ${totals[c]}`);
console.log(`ℹ duration_ms ${Math.round(performance.now() - started)}`);
console.log(`${totals.pass} passed, ${totals.fail} failed`);
process.exit(failedFiles.length > 0 || totals.fail > 0 ? 1 : 0);
