import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = process.cwd();

/**
 * A TypeScript app as a user makes it: ESM, the given tsconfig, and dsock under node_modules
 * (linked to this checkout, whose dist/ is built), with Node's types beside it. The sources are
 * written as given; `compile` runs tsc over them, `run` runs one compiled file as a user would.
 */
export class PackageApp implements AsyncDisposable {
  private constructor(readonly dir: string) {}

  static async create(
    prefix: string,
    tsconfig: { compilerOptions: Record<string, unknown> },
    sources: ReadonlyMap<string, string>,
  ): Promise<PackageApp> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    const app = new PackageApp(dir);
    try {
      await writeFile(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
      const files = [...sources.keys()];
      await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ ...tsconfig, files }));
      await mkdir(join(dir, 'node_modules'));
      await symlink(ROOT, join(dir, 'node_modules', 'dsock'), 'dir');
      for (const dependency of ['@types', 'undici-types']) {
        await symlink(
          join(ROOT, 'node_modules', dependency),
          join(dir, 'node_modules', dependency),
          'dir',
        );
      }
      for (const [file, code] of sources) await writeFile(join(dir, file), code);
      return app;
    } catch (error) {
      await app.close();
      throw error;
    }
  }

  /** Compiles every source with tsc; fails the test with tsc's report when it refuses one. */
  async compile(what: string): Promise<void> {
    const tsc = resolve(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', this.dir], { cwd: this.dir, timeout: 120_000 }).catch(
      (error: { stdout?: string }) => assert.fail(`tsc refused ${what}:\n${error.stdout}`),
    );
  }

  /**
   * Runs the compiled `file` (a .ts source name) with Node, killed after `timeoutMs`; resolves
   * with its stdout, fails the test with its stderr when it fails or does not exit.
   */
  async run(file: string, env: NodeJS.ProcessEnv, timeoutMs = 15_000): Promise<string> {
    const { stdout } = await run(process.execPath, [file.replace(/\.ts$/, '.js')], {
      cwd: this.dir,
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      env,
    }).catch((error: { stderr?: string; killed?: boolean }) =>
      assert.fail(
        `${file} ${error.killed ? `did not exit within ${timeoutMs} ms` : 'failed'}:\n${error.stderr}`,
      ),
    );
    return stdout;
  }

  close(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
