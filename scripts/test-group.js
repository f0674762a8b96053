// Runs several compiled test files one after another in this one process, for
// scripts/run-tests.js: `node --test-reporter=scripts/test-group-reporter.js
// scripts/test-group.js FILE...`. Each file is imported, which registers its tests with
// node:test as `node FILE` would, then one more test is added after them: node:test runs the
// top-level tests of a process one at a time in the order they were made, so when that test runs,
// every test of the file has ended. The reporter then closes the file's output and the next file
// is imported once the file's top-level after() hooks have finished. A file that cannot be
// imported counts as failed and the next one still runs.
//
// Why the hooks are waited for: a file's top-level after() hooks belong to the process's root
// test, which runs them, without being awaited, each time its tests have all ended, going
// through its list of hooks as it grows. A hook the next file made while one of the previous
// file's was still running (closing its servers or children) was then run at once, in the middle
// of that file's tests: it closed the servers and killed the children those tests had just
// started, and the ones they started afterwards were never closed, so the process never exited.
//
// When the last file has ended the process should exit by itself. If something a file left
// open (a server, a socket, a timer, a child) keeps it alive for DSOCK_TEST_GROUP_EXIT_MS, a
// `stuck` marker names each handle still open and the file during which it was opened, the
// children still running are killed, and run-tests.js kills the process and fails those files.
// A file whose after() hooks do not finish within that time is named, and the files after it
// are left to a new process.
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { END_TEST, MARKER, group } from './test-group-reporter.js';
import { activeHandles, describeHandle, otherResources } from './test-group-handles.js';

const EXIT_MS = Number(process.env.DSOCK_TEST_GROUP_EXIT_MS) || 30_000;

/**
 * Errors thrown after the test that caused them ended: node:test reports them when the process
 * exits, which a stuck process never does, so they go into the stuck marker too.
 */
const uncaught = [];
const remember = (error) => uncaught.push(String(error?.stack ?? error));
process.on('uncaughtException', remember);
process.on('unhandledRejection', remember);

/** The handles open before the first file, and per handle opened since, the file it came in. */
const baseline = new Set(activeHandles());
const openedIn = new WeakMap();
const baselineOthers = otherResources();
/** Per file: the kinds of other resources (timers) it left, for those no handle stands for. */
const grown = [];

/** Resolves after `ms`, with `value`, without keeping the process alive. */
const later = (ms, value) =>
  new Promise((resolveLater) => setTimeout(resolveLater, ms, value).unref());

/** Resolves once the root test's after() hooks made so far, the file's among them, have run. */
function afterHooksRun() {
  return new Promise((resolveHooks) => after(() => resolveHooks(true)));
}

/** Ties to `file` what is open now that no file before it opened, and the kinds it grew. */
function noteLeftBy(file, before) {
  for (const handle of activeHandles()) {
    if (!baseline.has(handle) && !openedIn.has(handle)) openedIn.set(handle, file);
  }
  const left = otherResources();
  const kinds = Object.keys(left).filter((k) => left[k] > (before[k] ?? 0));
  if (kinds.length > 0) grown.push({ file, kinds });
}

let hung;
for (const file of process.argv.slice(2)) {
  const ended = group.begin(file);
  const before = otherResources();
  try {
    await import(pathToFileURL(resolve(file)).href);
  } catch (error) {
    group.importFailed(file, error);
  }
  // Made after the file's own hooks, so it runs after them.
  const hooksRun = afterHooksRun();
  test(`${END_TEST} ${file}`, () => {});
  await ended;
  if (!(await Promise.race([hooksRun, later(EXIT_MS, false)]))) {
    // What the unfinished hooks hold is the file's; the files after it go to a new process.
    hung = file;
    noteLeftBy(file, before);
    const problem = `its top-level after() hooks had not finished ${EXIT_MS / 1000} s after its tests`;
    process.stdout.write(`${MARKER}${JSON.stringify({ late: file, problem, text: '' })}\n`);
    break;
  }
  // The root test goes on through its list of hooks once the last has settled: on the next
  // turn of the event loop it has seen that there is none left, and the next file's come after.
  await nextTurn();
  noteLeftBy(file, before);
}

/** What keeps the process alive, by the file it came in (null: none of them). */
function stuckReport() {
  const byFile = new Map();
  const add = (file, what) => {
    if (!byFile.has(file)) byFile.set(file, []);
    byFile.get(file).push(what);
  };
  const leftChildren = [];
  for (const handle of activeHandles()) {
    if (baseline.has(handle)) continue;
    add(openedIn.get(handle) ?? null, describeHandle(handle));
    if (handle?.constructor?.name === 'ChildProcess') leftChildren.push(handle);
  }
  const now = otherResources();
  for (const kind of Object.keys(now).filter((k) => now[k] > (baselineOthers[k] ?? 0))) {
    const files = grown.filter((g) => g.kinds.includes(kind)).map((g) => g.file);
    for (const file of files.length > 0 ? files : [null]) add(file, `${kind} (${now[kind]})`);
  }
  return { byFile, leftChildren };
}

function reportStuck() {
  const { byFile, leftChildren } = stuckReport();
  const stuck = [...byFile].map(([file, open]) => ({ file, open }));
  process.stdout.write(`${MARKER}${JSON.stringify({ stuck, uncaught, hung: hung ?? null })}\n`);
  // A child left running would outlive this process, which run-tests.js kills now.
  for (const child of leftChildren) child.kill('SIGKILL');
}

if (hung !== undefined) reportStuck();
else setTimeout(reportStuck, EXIT_MS).unref();
