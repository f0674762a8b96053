import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** npm pack and an install from a local tarball need no network; this bounds each. */
const NPM_TIMEOUT_MS = 120_000;

interface PackResult {
  filename: string;
  files: { path: string }[];
}

/** This environment as a user's would be: without the test runner's DSOCK_NATIVE choice. */
function userEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DSOCK_NATIVE;
  return env;
}

/** Runs npm with `args` in `cwd`, bounded; its stdout. */
async function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run('npm', args, {
    cwd,
    timeout: NPM_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
    env: { ...userEnvironment(), ...env },
  });
  return stdout;
}

describe('the published package', () => {
  let dir = '';
  let pack: PackResult | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dsock-pack-'));
    [pack] = JSON.parse(
      await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir], process.cwd()),
    ) as PackResult[];
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('ships every file its source maps point at, and no tests, benchmarks or tools', async () => {
    const files = new Set(pack?.files.map((f) => f.path));
    for (const needed of [
      'package.json',
      'README.md',
      'bin/dsock.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      // The install script and what it builds the optional addon from.
      'scripts/build-native.js',
      'binding.gyp',
    ]) {
      assert.ok(files.has(needed), `${needed} is packed`);
    }
    assert.deepEqual(
      // The development tools (tools/) and scripts other than the install script stay home.
      [...files].filter(
        (f) =>
          /^(test|bench|build|tools)\//.test(f) ||
          (f.startsWith('scripts/') && f !== 'scripts/build-native.js'),
      ),
      [],
    );
    const maps = [...files].filter((f) => f.endsWith('.map'));
    assert.ok(maps.length > 0, 'dist/ has source maps');
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(await readFile(map, 'utf8')) as { sources: string[] };
      for (const source of sources) {
        const path = posix.normalize(posix.join(posix.dirname(map), source));
        if (!files.has(path)) missing.push(`${map} -> ${path}`);
      }
    }
    assert.deepEqual(missing, []);
    // TypeScript apps need Node's types for dsock's declarations, and are told so.
    assert.match(await readFile('dist/index.d.ts', 'utf8'), /^\/\/\/ <reference types="node"/);
  });

  it('installed from its tarball with --omit=dev, runs the dsock command npx finds', async () => {
    const tarball = join(dir, pack?.filename ?? 'missing.tgz');
    const app = join(dir, 'app');
    await mkdir(app);
    await writeFile(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', private: true, type: 'module' }),
    );
    // dsock's runtime dependency is installed beside it from a tarball of the copy this
    // checkout installed (the version the lock file names): `--offline` alone would need the
    // registry's index of node-forge in npm's cache, and a fresh machine's cache holds only the
    // tarballs `npm ci` fetched. npm then finds dsock's dependency met and asks for nothing.
    const [forge] = JSON.parse(
      await npm(
        ['pack', '--json', '--pack-destination', dir, resolve('node_modules', 'node-forge')],
        process.cwd(),
      ),
    ) as PackResult[];
    // The install script runs (it must never fail an install); DSOCK_NATIVE=0 spares it the
    // compiler, which the native tests cover.
    await npm(
      [
        'install',
        '--omit=dev',
        '--offline',
        '--no-audit',
        '--no-fund',
        join(dir, forge?.filename ?? 'missing.tgz'),
        tarball,
      ],
      app,
      { DSOCK_NATIVE: '0' },
    );
    // What `npx dsock` runs: the command npm linked into node_modules/.bin at the install
    // (run directly, without starting npm once more).
    const { stdout: help } = await run(join(app, 'node_modules', '.bin', 'dsock'), ['--help'], {
      cwd: app,
      timeout: 30_000,
      env: userEnvironment(),
    });
    assert.match(help, /^dsock \d+\.\d+\.\d+: sockets for distributed systems/);
    assert.match(help, /udp send/);
    // The library itself loads from the installed copy, as an app imports it.
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const d = await import('dsock'); console.log(typeof d.DatagramSocket.bind)",
      ],
      { cwd: app, timeout: 30_000, env: userEnvironment() },
    );
    assert.equal(stdout.trim(), 'function');
  });
});
