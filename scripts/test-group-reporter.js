// The node:test reporter of a group process (scripts/test-group.js): several test files run one
// after another in one process, and this reporter gives each file the output it would have had
// alone, framed by marker lines that scripts/run-tests.js reads:
//
//   MARKER {"start":FILE}                      written before FILE is imported
//   ...the spec reporter's lines for FILE's tests, then its own `ℹ tests N`, `ℹ pass N`, ... lines
//   MARKER {"end":FILE,"ms":N,"processorMs":N} once FILE's last test has been reported
//   MARKER {"late":FILE,"text":"..."}          a failure of FILE reported after its end (a failing
//                                              top-level after() hook, asynchronous activity
//                                              after its tests ended), or of no known file; with
//                                              "problem":"..." from test-group.js, what it was
//
// and scripts/test-group.js, after the last file, when something left open keeps the process:
//
//   MARKER {"stuck":[{"file":FILE,"open":[...]}...],"uncaught":[...],"hung":FILE}   per file
//                                              (null: none), what it opened that is still open;
//                                              errors thrown after the end; the file whose
//                                              after() hooks did not finish, if one did not
//
// Everything the tests print between a file's start and end markers is that file's output: the
// driver imports the next file only once this reporter has written the end marker. Output is
// written with synchronous writes (stdout is a pipe, synchronous on Linux), so the markers keep
// their place among what the tests print themselves.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { relative, resolve } from 'node:path';
import { spec } from 'node:test/reporters';

/** Starts every marker line; the rest of the line is JSON. */
export const MARKER = '\u001edsock-test-group ';
/** The name of the test the driver adds after each file's own: when it passes, the file is done. */
export const END_TEST = '\u001edsock-test-group end of';

/** The counters node:test prints at the end (`ℹ tests N`, ...), in its order. */
export const COUNTERS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'];
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * The processor time, in clock ticks, of the children this process has waited for (Linux:
 * cutime and cstime of /proc/self/stat), or undefined elsewhere.
 */
export function childProcessorTicks() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of stat(5), counted from the state (field 3) here.
    return Number(fields[13]) + Number(fields[14]);
  } catch {
    return undefined;
  }
}

/** Ticks of {@link childProcessorTicks} in ms. */
export function ticksToMs(ticks) {
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** The processor time in ms of this process and of the children it has waited for. */
function processorMs() {
  const { user, system } = process.cpuUsage();
  // Not Linux: the children's share is not known.
  const children = ticksToMs(childProcessorTicks() ?? 0);
  return (user + system) / 1000 + children;
}

function write(text) {
  if (text) process.stdout.write(text);
}

function writeMarker(fields) {
  write(`${MARKER}${JSON.stringify(fields)}\n`);
}

/** The state shared by the driver (which starts files) and the reporter (which ends them). */
export const group = {
  /** The files already ended, by absolute path (as events name them), for late events. */
  ended: new Map(),
  /** The file running now: { file, path, reporter, counts, began, processorBegan, done }. */
  current: undefined,

  /** Called by the driver just before it imports `file`; resolves once the file has ended. */
  begin(file) {
    writeMarker({ start: file });
    let done;
    const ended = new Promise((resolveEnded) => (done = resolveEnded));
    this.current = {
      file,
      path: resolve(file),
      reporter: new spec(),
      counts: Object.fromEntries(COUNTERS.map((c) => [c, 0])),
      began: performance.now(),
      processorBegan: processorMs(),
      done,
    };
    return ended;
  },

  /** A file that could not be imported: its error is its output, and it counts as failed. */
  importFailed(file, error) {
    write(`✖ ${file} could not be loaded\n  ${error?.stack ?? error}\n`);
    if (this.current?.file === file) this.current.counts.fail += 1;
  },
};

function countResult(counts, type, data) {
  if (data.details?.type === 'suite') {
    counts.suites += 1;
    return;
  }
  counts.tests += 1;
  const failureType = data.details?.error?.failureType;
  if (data.skip !== undefined) counts.skipped += 1;
  else if (data.todo !== undefined) counts.todo += 1;
  else if (failureType === 'cancelledByParent' || failureType === 'testTimeoutFailure')
    counts.cancelled += 1;
  else if (type === 'test:fail') counts.fail += 1;
  else counts.pass += 1;
}

/** Renders events with a spec reporter of their own, for output outside a file's section. */
function render(events) {
  const reporter = new spec();
  let text = '';
  for (const event of events) {
    reporter.write(event);
    text += reporter.read() ?? '';
  }
  reporter.end();
  return text + (reporter.read() ?? '');
}

function endCurrent() {
  const current = group.current;
  group.current = undefined;
  const { reporter, counts } = current;
  for (const c of COUNTERS)
    reporter.write({ type: 'test:diagnostic', data: diagnostic(`${c} ${counts[c]}`) });
  const ms = performance.now() - current.began;
  reporter.write({ type: 'test:diagnostic', data: diagnostic(`duration_ms ${ms}`) });
  reporter.end();
  write(reporter.read());
  group.ended.set(current.path, current.file);
  writeMarker({
    end: current.file,
    ms: Math.round(ms),
    processorMs: Math.round(processorMs() - current.processorBegan),
  });
  current.done();
}

function diagnostic(message) {
  return { nesting: 0, message, file: undefined, line: undefined, column: undefined };
}

/** The ended file a diagnostic of the root test names (`Test "x" at FILE:LINE:COL ...`). */
function fileNamedIn(message) {
  for (const [path, file] of group.ended) {
    if (message.includes(`${relative(process.cwd(), path)}:`) || message.includes(`${path}:`))
      return file;
  }
  return undefined;
}

/**
 * The default export: node:test hands it every event of the process. It yields nothing: it writes
 * each line itself, at once, so that its lines and the tests' own stay in order.
 */
// eslint-disable-next-line require-yield
export default async function* groupReporter(source) {
  for await (const event of source) {
    const { type, data } = event;
    if (data?.name?.startsWith?.(END_TEST)) {
      if ((type === 'test:pass' || type === 'test:fail') && group.current) endCurrent();
      continue;
    }
    if (data?.file === undefined && data?.nesting === 0) {
      // The root test: its plan and counters are the whole process's, replaced by each file's
      // own; any other diagnostic (asynchronous activity after a test ended) is a failure.
      if (type !== 'test:diagnostic') continue;
      if (/^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) [\d.]+$/.test(data.message))
        continue;
      writeMarker({ late: fileNamedIn(data.message) ?? null, text: render([event]) });
      continue;
    }
    if (data?.file !== undefined && group.ended.has(data.file)) {
      // A file's top-level after() hook runs once its tests are done, after its end marker.
      if (type === 'test:fail' || type === 'test:diagnostic')
        writeMarker({ late: group.ended.get(data.file), text: render([event]) });
      continue;
    }
    const current = group.current;
    if (current === undefined) {
      if (type === 'test:fail') writeMarker({ late: null, text: render([event]) });
      continue;
    }
    if ((type === 'test:pass' || type === 'test:fail') && data !== undefined)
      countResult(current.counts, type, data);
    current.reporter.write(event);
    write(current.reporter.read());
  }
}
