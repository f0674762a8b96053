#!/usr/bin/env node
// Runs every compiled test file under build/test with Node's built-in test runner.
// Node 20 has no glob support in --test, and helper modules under test/ must not be
// picked up as test files, so the list is made here: only files named *.test.js.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

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

function run(list, env) {
  const result = spawnSync(
    process.execPath,
    ['--test', '--test-timeout=120000', '--test-reporter=spec', ...list],
    { stdio: 'inherit', env: { ...process.env, ...env } },
  );
  return result.status ?? 1;
}

// The datagram tests run against both datagram paths: first the native addon when it is
// built (or in CI, where it must be), with DSOCK_NATIVE=1 so that an addon that fails to load
// is an error rather than a second run over node:dgram; then over node:dgram with
// DSOCK_NATIVE=0. DSOCK_NATIVE set by the caller is left as it is.
const nativeBuilt = existsSync(join('build', 'Release', 'dsock_native.node'));
const mainEnv =
  process.env.DSOCK_NATIVE === undefined && (nativeBuilt || process.env.CI === 'true')
    ? { DSOCK_NATIVE: '1' }
    : {};
let status = run(files, mainEnv);
const datagramFiles = files.filter((f) => f.includes(join('build', 'test', 'datagram') + '/'));
if (datagramFiles.length > 0 && process.env.DSOCK_NATIVE !== '0') {
  if (nativeBuilt || process.env.CI === 'true') {
    console.log('\n# the datagram tests again, on the TypeScript path (DSOCK_NATIVE=0)\n');
    status = run(datagramFiles, { DSOCK_NATIVE: '0' }) || status;
  } else {
    console.log(
      '\n# native datagram addon not built: the datagram tests ran on the TypeScript path only',
    );
  }
}
process.exit(status);
