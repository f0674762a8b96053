import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const SCRIPT = fileURLToPath(new URL('../../../scripts/clean-output.js', import.meta.url));

/** A project tree in a fresh directory: each path gets a file. */
function tree(paths: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'dsock-clean-'));
  for (const path of paths) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), '');
  }
  return root;
}

function clean(root: string): void {
  execFileSync(process.execPath, [SCRIPT], { cwd: root, timeout: 10_000 });
}

describe('the build step that clears stale compiler output', () => {
  it('removes the outputs of deleted sources and keeps the rest for an incremental build', () => {
    const root = tree([
      'src/kept.ts',
      'dist/kept.js',
      'dist/kept.d.ts.map',
      'dist/gone.js',
      'dist/gone.d.ts',
      'dist/moved/old.js.map',
      'build/src/kept.js',
      'build/test/a.test.js',
      'build/test/sub/b.test.js',
      'test/a.test.ts',
      'build/dist.tsbuildinfo',
      'build/tests.tsbuildinfo',
      'build/Release/dsock_native.node',
    ]);
    try {
      clean(root);
      for (const kept of [
        'dist/kept.js',
        'dist/kept.d.ts.map',
        'build/test/a.test.js',
        'build/dist.tsbuildinfo',
        'build/tests.tsbuildinfo',
        'build/Release/dsock_native.node',
      ]) {
        assert.ok(existsSync(join(root, kept)), `${kept} was kept`);
      }
      for (const gone of ['dist/gone.js', 'dist/gone.d.ts', 'dist/moved', 'build/test/sub']) {
        assert.ok(!existsSync(join(root, gone)), `${gone} was removed`);
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('drops the build information when an output is missing, so that it is written again', () => {
    // test/new.test.ts has no output: the compiler, trusting its information, would not write it.
    const root = tree([
      'src/kept.ts',
      'dist/kept.js',
      'test/new.test.ts',
      'build/dist.tsbuildinfo',
      'build/tests.tsbuildinfo',
    ]);
    try {
      clean(root);
      assert.ok(existsSync(join(root, 'build/dist.tsbuildinfo')), 'dist is whole: kept');
      assert.ok(!existsSync(join(root, 'build/tests.tsbuildinfo')), 'build/ lacks an output');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
