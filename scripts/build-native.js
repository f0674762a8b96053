#!/usr/bin/env node
// Builds the optional native datagram addon (native/, binding.gyp) into build/Release.
// Installing never fails because of it: when it cannot be built (no compiler, no headers,
// no node-gyp), one line says so and dsock uses its TypeScript path over node:dgram.
//
// `configure` then `build` rather than `rebuild`: rebuild starts by deleting build/, where
// `tsc -p tsconfig.json` also writes (build/src, build/test, build/bench).
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function fallback(reason) {
  console.log(`dsock: native datagram path not built (${reason}); using the TypeScript path`);
  process.exit(0);
}

if (process.env.DSOCK_NATIVE === '0') fallback('DSOCK_NATIVE=0');
if (!existsSync(join(root, 'binding.gyp'))) fallback('binding.gyp is missing');

// npm puts node-gyp on PATH in lifecycle scripts; otherwise npm's bundled copy is used.
const bundled = join(
  dirname(process.execPath),
  '..',
  'lib',
  'node_modules',
  'npm',
  'node_modules',
  'node-gyp',
  'bin',
  'node-gyp.js',
);
const gyp = existsSync(bundled) ? [process.execPath, bundled] : ['node-gyp'];

// Node's own headers, where they are installed with it, spare node-gyp a download (and make
// the build work offline); npm passes a configured nodedir in npm_config_nodedir.
const prefix = join(dirname(process.execPath), '..');
const flags =
  process.env.npm_config_nodedir === undefined &&
  existsSync(join(prefix, 'include', 'node', 'node_api.h'))
    ? [`--nodedir=${prefix}`]
    : [];

const addon = join(root, 'build', 'Release', 'dsock_native.node');
// node-gyp's whole output goes here, for whoever wants to know why a build failed.
const log = join(root, 'build', 'native-build.log');
// A build should take seconds; one that hangs (a stuck download, a compiler waiting on
// something) must not hang the install.
const STEP_TIMEOUT_MS = 5 * 60_000;

function run(step) {
  const result = spawnSync(gyp[0], [...gyp.slice(1), step, ...flags], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: STEP_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
  appendFileSync(
    log,
    `$ node-gyp ${step} ${flags.join(' ')}\n${result.stdout ?? ''}${result.stderr ?? ''}\n`,
  );
  if (result.error) {
    const timedOut = result.error.code === 'ETIMEDOUT';
    fallback(
      timedOut
        ? `node-gyp ${step} did not finish in ${STEP_TIMEOUT_MS / 60_000} minutes, see ${log}`
        : `node-gyp ${step}: ${result.error.message}`,
    );
  }
  if (result.status !== 0) {
    const output = `${result.stderr}\n${result.stdout}`;
    const line =
      output.split('\n').find((l) => /error:|ERR! stack Error|not found/i.test(l)) ??
      `exit code ${result.status}`;
    fallback(`node-gyp ${step} failed: ${line.trim()} (the whole output is in ${log})`);
  }
}

mkdirSync(join(root, 'build'), { recursive: true });
writeFileSync(log, `dsock native build, node ${process.version}\n`);
// An addon left from an earlier build must not be used if this one fails.
rmSync(addon, { force: true });
run('configure');
run('build');
if (!existsSync(addon)) {
  fallback('node-gyp reported success but build/Release/dsock_native.node is missing');
}
