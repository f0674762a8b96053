#!/usr/bin/env node
// Runs every compiled test file under build/test with Node's built-in test runner.
// Node 20 has no glob support in --test, and helper modules under test/ must not be
// picked up as test files, so the list is made here: only files named *.test.js.
import { readdirSync, statSync } from 'node:fs';
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
const result = spawnSync(
  process.execPath,
  ['--test', '--test-timeout=120000', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
