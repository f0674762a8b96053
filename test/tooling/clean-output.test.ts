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

/** What the compiler writes for one source: code and map, and declarations for dist/. */
function outputsOf(path: string, declarations = false): string[] {
  const code = [`${path}.js`, `${path}.js.map`];
  return declarations ? [...code, `${path}.d.ts`, `${path}.d.ts.map`] : code;
}

function clean(root: string): void {
  execFileSync(process.execPath, [SCRIPT], { cwd: root, timeout: 10_000 });
}

describe('the build step that clears stale compiler output', () => {
  it('removes the outputs of deleted sources and keeps the rest for an incremental build', () => {
    const root = tree([
      'src/kept.ts',
      ...outputsOf('dist/kept', true),
      'dist/gone.js',
      'dist/gone.d.ts',
      'dist/moved/old.js.map',
      ...outputsOf('build/src/kept'),
      ...outputsOf('build/test/a.test'),
      'build/test/sub/b.test.js',
      'test/a.test.ts',
      'build/Release/dsock_native.node',
      // Written last, as after a compile: an output newer than its build info means a change.
      'build/tsconfig.build.tsbuildinfo',
      'build/tsconfig.tsbuildinfo',
    ]);
    try {
      clean(root);
      for (const kept of [
        ...outputsOf('dist/kept', true),
        ...outputsOf('build/test/a.test'),
        'build/tsconfig.build.tsbuildinfo',
        'build/tsconfig.tsbuildinfo',
        'build/Release/dsock_native.node',
      ]) {
        assert.ok(existsSync(join(root, kept)), `${kept} was kept`);
      }
      for (const gone of [
        'dist/gone.js',
        'dist/gone.d.ts',
        'dist/moved/old.js.map',
        'build/test/sub/b.test.js',
      ]) {
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
      ...outputsOf('dist/kept', true),
      ...outputsOf('build/src/kept'),
      'test/new.test.ts',
      'build/tsconfig.build.tsbuildinfo',
      'build/tsconfig.tsbuildinfo',
    ]);
    try {
      clean(root);
      assert.ok(existsSync(join(root, 'build/tsconfig.build.tsbuildinfo')), 'dist is whole: kept');
      assert.ok(!existsSync(join(root, 'build/tsconfig.tsbuildinfo')), 'build/ lacks an output');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
