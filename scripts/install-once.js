// Installs a side package of this repository (bench/, tools/: each with its own package.json and
// lock file) into its own node_modules, so that the main `npm ci` never downloads it. Runs
// `npm ci` in that folder only when its node_modules is missing or was installed from another
// package-lock.json: the lock file's hash is kept in DIR/node_modules/.dsock-lock-hash after a
// successful install.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository's root, whatever the working directory. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** A download larger than any of the side packages needs this long only when it hangs. */
const INSTALL_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * Makes sure `dir` (relative to the root) has node_modules installed from its current lock file;
 * `what` names its packages in the one line printed before an install. Exits the process with
 * status 1 when the install fails.
 */
export function installOnce(dir, what) {
  const folder = join(ROOT, dir);
  const lockHash = createHash('sha256')
    .update(readFileSync(join(folder, 'package-lock.json')))
    .digest('hex');
  const stamp = join(folder, 'node_modules', '.dsock-lock-hash');
  const installed = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : undefined;
  if (installed === lockHash) return;

  console.error(
    installed === undefined
      ? `# installing ${what} into ${dir}/node_modules (npm ci in ${dir}/)`
      : `# ${dir}/package-lock.json changed: reinstalling ${what}`,
  );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // stdout to stderr: a tool's own output (a report, a formatted file list) stays clean.
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], {
    cwd: folder,
    stdio: ['ignore', process.stderr, 'inherit'],
    timeout: INSTALL_TIMEOUT_MS,
  });
  if (result.status !== 0) {
    const why = result.error
      ? result.error.message
      : `exit status ${result.status ?? result.signal}`;
    console.error(`npm ci in ${dir}/ failed (${why})`);
    process.exit(1);
  }
  writeFileSync(stamp, `${lockHash}\n`);
}
