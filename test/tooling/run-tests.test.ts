import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { LineChild } from '../helpers/child.js';

// Compiled tests run from build/test/tooling; the runner is run from the repository's root.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dsock-run-tests-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Light test files, none of which starts a process: the runner puts them in one process. */
const FILES = {
  'a.test.js': `test('a passes', () => console.log('a ran in', process.pid));`,
  'b.test.js': `test('b fails on purpose', () => {
  console.log('b ran in', process.pid);
  throw new Error('b is wrong');
});
test('b passes too', () => {});`,
  'c.test.js': `test('c hangs', async () => {
  console.log('c is waiting');
  await new Promise(() => setInterval(() => {}, 1000));
});`,
  'd.test.js': `test('d passes', () => console.log('d ran in', process.pid));`,
  'e.test.js': `import { createServer } from 'node:net';
test('e leaves a server open', async () => {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
});`,
  // f's after() hook is still closing when g is imported: g's own hook must wait for g's test.
  'f.test.js': `import { after } from 'node:test';
after(() => new Promise((resolve) => setTimeout(resolve, 300)));
test('f passes', () => {});`,
  'g.test.js': `import { after } from 'node:test';
let closed = false;
after(() => (closed = true));
test("g's after() waits for its test", async () => {
  await new Promise((resolve) => setTimeout(resolve, 600));
  if (closed) throw new Error("g's after() ran while its test was running");
});`,
  // Named without the node: prefix so that the runner shares a process with it, as it does with
  // a file that starts processes once it has been timed.
  'h.test.js': `import { spawn } from 'child_process';
test('h fails and leaves its child running', () => {
  spawn('sleep', ['30'], { stdio: ['ignore', 'pipe', 'ignore'] });
  throw new Error('h is wrong');
});`,
  'i.test.js': `import { after } from 'node:test';
after(() => new Promise(() => setInterval(() => {}, 1000)));
test('i passes, but its after() never ends', () => {});`,
};
writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
for (const [name, body] of Object.entries(FILES))
  writeFileSync(join(dir, name), `import { test } from 'node:test';\n${body}\n`);

const path = (name: string) => join(dir, name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The runner's output for one file: from its `# FILE (` heading to the next heading. */
function sectionOf(output: string, name: string): string {
  const start = output.indexOf(`# ${join(dir, name)} (`);
  assert.ok(start >= 0, `no output for ${name}:\n${output}`);
  const next = output.indexOf('\n# ', start + 1);
  return output.slice(start, next < 0 ? undefined : next);
}

describe('scripts/run-tests.js with files sharing a process', () => {
  it('names the file that failed, the one that hung and the ones that kept their process alive with what they left open, and fails the run', async () => {
    const runner = new LineChild(
      'env',
      [
        // Run under `node --test` itself, the runner's files must not report to that one.
        '-u',
        'NODE_TEST_CONTEXT',
        `DSOCK_TEST_ROOT=${dir}`,
        'DSOCK_TEST_FILE_TIMEOUT_MS=5000',
        'DSOCK_TEST_GROUP_EXIT_MS=2000',
        'DSOCK_TEST_CONCURRENCY=1',
        process.execPath,
        'scripts/run-tests.js',
      ],
      { cwd: ROOT, group: true },
    );
    try {
      assert.equal(await runner.exitCode(60_000), 1, runner.stderr);
      const output = runner.stdoutLines.join('\n');
      assert.match(output, /^# 9 test files in 2 processes \(2 of them shared by several files\)/);

      // a and b ran in one process; the hang of c ended it, and d ran in the next one.
      const pidOf = (name: string) =>
        new RegExp(`${name[0]} ran in (\\d+)`).exec(sectionOf(output, name))?.[1];
      assert.ok(pidOf('a.test.js') !== undefined && pidOf('d.test.js') !== undefined, output);
      assert.equal(pidOf('b.test.js'), pidOf('a.test.js'), 'a and b shared a process');
      assert.notEqual(pidOf('d.test.js'), pidOf('a.test.js'), 'd ran after c was killed');

      // Each file's output is its own, whole, with its own counters.
      assert.match(
        sectionOf(output, 'a.test.js'),
        /✔ a passes[^]*ℹ tests 1\nℹ suites 0\nℹ pass 1\n/,
      );
      const b = sectionOf(output, 'b.test.js');
      assert.match(b, /✖ b fails on purpose[^]*Error: b is wrong[^]*✔ b passes too/);
      assert.match(b, /ℹ tests 2\nℹ suites 0\nℹ pass 1\nℹ fail 1\n/);
      assert.doesNotMatch(b, /c is waiting|d passes/);
      assert.match(sectionOf(output, 'c.test.js'), /c is waiting/);
      assert.match(sectionOf(output, 'd.test.js'), /✔ d passes/);

      const failed = output.slice(output.indexOf('# failed files:'));
      assert.match(failed, new RegExp(`${path('b.test.js')}: 1 failed, 0 cancelled`));
      assert.match(failed, new RegExp(`${path('c.test.js')}: killed after 5 s`));
      // Only the files that left something open fail for it, each with what it left.
      const opened = '\\(opened while it ran\\): its process had not exited 2 s after its tests';
      assert.match(
        failed,
        new RegExp(`${path('e.test.js')}: left open TCP server on 127\\.0\\.0\\.1:\\d+ ${opened}`),
      );
      assert.match(failed, new RegExp(`${path('h.test.js')}: 1 failed, 0 cancelled`));
      const h = new RegExp(`${path('h.test.js')}: left open (.*) ${opened}`).exec(failed)?.[1];
      assert.match(h ?? '', /(^|; )child process \d+ \(sleep 30\)(;|$)/, failed);
      assert.match(h ?? '', /(^|; )stdout pipe of child process \d+ \(sleep 30\)(;|$)/, failed);
      assert.match(sectionOf(output, 'g.test.js'), /✔ g's after\(\) waits for its test/);
      // i's after() never ends: i is named for it, and for what its hook holds.
      assert.match(
        failed,
        new RegExp(`${path('i.test.js')}: its top-level after\\(\\) hooks had not finished 2 s`),
      );
      assert.match(failed, new RegExp(`${path('i.test.js')}: left open Timeout \\(1\\) ${opened}`));
      assert.doesNotMatch(failed, /[adfg]\.test\.js|the process shared by/);
      assert.match(output, /\n7 passed, 7 failed$/);
    } finally {
      await runner.close();
    }
  });

  it('runs alone, each with its reason, the files that would change the process for the files after them', async () => {
    const planDir = mkdtempSync(join(tmpdir(), 'dsock-run-plan-'));
    try {
      const files: Record<string, string> = {
        'plain.test.js': `test('plain', () => {});`,
        'plain-too.test.js': `test('plain too', () => {});`,
        'global.test.js': `globalThis.answer = 42;\ntest('sets a global', () => {});`,
        'global-index.test.js': `global['answer'] = 42;\ntest('sets a global too', () => {});`,
        'timers.test.js': `test('mocks timers', (t) => t.mock.timers.enable());`,
        'signals.test.js': `process.on('SIGINT', () => {});\ntest('listens', () => {});`,
        'env.test.js': `process.env.TZ = 'UTC';\ntest('sets TZ', () => {});`,
        'built.test.js': `const built = new URL('../dist/index.js', import.meta.url);\ntest('built', () => {});`,
      };
      writeFileSync(join(planDir, 'package.json'), '{ "type": "module" }\n');
      for (const [name, body] of Object.entries(files))
        writeFileSync(join(planDir, name), `import { test } from 'node:test';\n${body}\n`);
      const runner = new LineChild(
        'env',
        [
          '-u',
          'NODE_TEST_CONTEXT',
          `DSOCK_TEST_ROOT=${planDir}`,
          process.execPath,
          'scripts/run-tests.js',
          '--plan',
        ],
        { cwd: ROOT, group: true },
      );
      try {
        assert.equal(await runner.exitCode(30_000), 0, runner.stderr);
        const plan = runner.stdoutLines.join('\n');
        const alone = (name: string) =>
          new RegExp(
            `^alone: ${join(planDir, name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (.*)$`,
            'm',
          ).exec(plan)?.[1];
        assert.equal(alone('global.test.js'), 'sets a global', plan);
        assert.equal(alone('global-index.test.js'), 'sets a global', plan);
        assert.equal(alone('timers.test.js'), 'mocks the timers', plan);
        assert.equal(alone('signals.test.js'), 'listens to process events', plan);
        assert.equal(alone('env.test.js'), 'sets environment variables', plan);
        assert.match(alone('built.test.js') ?? '', /^loads the built package \(dist\/\)/, plan);
        assert.match(
          plan,
          /^shared by 2:\n {2}\S*plain(-too)?\.test\.js\n {2}\S*plain(-too)?\.test\.js$/m,
        );
      } finally {
        await runner.close();
      }
    } finally {
      rmSync(planDir, { recursive: true, force: true });
    }
  });
});
