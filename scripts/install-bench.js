#!/usr/bin/env node
// Installs the benchmark's contenders (bench/package.json) into bench/node_modules, so that the
// main `npm ci` never downloads them. Runs `npm ci --prefix bench` only when bench/node_modules
// is missing or was installed from another bench/package-lock.json: the lock file's hash is kept
// in bench/node_modules/.dsock-lock-hash after a successful install.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const BENCH = 'bench';
const LOCK = join(BENCH, 'package-lock.json');
const STAMP = join(BENCH, 'node_modules', '.dsock-lock-hash');
/** npm ci of the contenders downloads about 140 MB; more than this is a hung install. */
const INSTALL_TIMEOUT_MS = 10 * 60 * 1000;

const lockHash = createHash('sha256').update(readFileSync(LOCK)).digest('hex');
const installed = existsSync(STAMP) ? readFileSync(STAMP, 'utf8').trim() : undefined;

if (installed === lockHash) process.exit(0);

console.error(
  installed === undefined
    ? '# installing the benchmark contenders into bench/node_modules (npm ci --prefix bench)'
    : '# bench/package-lock.json changed: reinstalling the benchmark contenders',
);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const result = spawnSync(npm, ['ci', '--prefix', BENCH, '--no-audit', '--no-fund'], {
  stdio: 'inherit',
  timeout: INSTALL_TIMEOUT_MS,
});
if (result.status !== 0) {
  const why = result.error ? result.error.message : `exit status ${result.status ?? result.signal}`;
  console.error(`install-bench: npm ci --prefix bench failed (${why})`);
  process.exit(1);
}
writeFileSync(STAMP, `${lockHash}\n`);
