// Runs several compiled test files one after another in this one process, for
// scripts/run-tests.js: `node --test-reporter=scripts/test-group-reporter.js
// scripts/test-group.js FILE...`. Each file is imported, which registers its tests with
// node:test as `node FILE` would, then one more test is added after them: node:test runs the
// top-level tests of a process one at a time in the order they were made, so when that test runs,
// every test of the file has ended. The reporter then closes the file's output and the next file
// is imported. A file that cannot be imported counts as failed and the next one still runs.
//
// When the last file has ended the process should exit by itself. If something a file left
// open (a server, a socket, a timer, a child) keeps it alive for DSOCK_TEST_GROUP_EXIT_MS, a
// `stuck` marker names the files whose open handles grew while they ran and are still there,
// and run-tests.js kills the process and fails those files.
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { END_TEST, MARKER, group } from './test-group-reporter.js';

const EXIT_MS = Number(process.env.DSOCK_TEST_GROUP_EXIT_MS) || 30_000;

/** How many active handles of each kind keep the event loop alive now. */
function openHandles() {
  const counts = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/**
 * Errors thrown after the test that caused them ended: node:test reports them when the process
 * exits, which a stuck process never does, so they go into the stuck marker too.
 */
const uncaught = [];
const remember = (error) => uncaught.push(String(error?.stack ?? error));
process.on('uncaughtException', remember);
process.on('unhandledRejection', remember);

const baseline = openHandles();
/** Per file: the kinds of handles it opened and had not closed when its last test ended. */
const grown = [];

for (const file of process.argv.slice(2)) {
  const ended = group.begin(file);
  const before = openHandles();
  try {
    await import(pathToFileURL(resolve(file)).href);
  } catch (error) {
    group.importFailed(file, error);
  }
  test(`${END_TEST} ${file}`, () => {});
  await ended;
  const after = openHandles();
  const kinds = Object.keys(after).filter((k) => after[k] > (before[k] ?? 0));
  if (kinds.length > 0) grown.push({ file, kinds });
}

setTimeout(() => {
  const now = openHandles();
  const left = Object.keys(now).filter((k) => now[k] > (baseline[k] ?? 0));
  const files = grown.filter((g) => g.kinds.some((k) => left.includes(k))).map((g) => g.file);
  const stuck = { stuck: files, handles: left, uncaught };
  process.stdout.write(`${MARKER}${JSON.stringify(stuck)}\n`);
}, EXIT_MS).unref();
