import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * The benchmark's npm contenders (zeromq, utp-native, bun) are bench/'s own dependencies,
 * installed into bench/node_modules by `npm run bench` (scripts/install-bench.js), never by the
 * main install. Compiled code runs from build/bench/, so it finds them through bench/'s
 * package.json rather than through its own location.
 */

/** bench/ in the repository, from build/bench/lib/. */
export const BENCH_PACKAGE_DIR = new URL('../../../bench/', import.meta.url);

const requireFromBench = createRequire(new URL('package.json', BENCH_PACKAGE_DIR));

/** How to install the contenders, for the reason a contender gives when one is missing. */
export const INSTALL_HINT = 'npm run bench installs it into bench/node_modules';

/** The CommonJS package `name` from bench/node_modules (throws when it is not installed). */
export function loadContender<T>(name: string): T {
  return requireFromBench(name) as T;
}

/** Why package `name` cannot be found under bench/node_modules, or undefined when it can. */
export function contenderMissing(name: string): string | undefined {
  try {
    requireFromBench.resolve(name);
    return undefined;
  } catch {
    return `the ${name} package is not installed (${INSTALL_HINT})`;
  }
}

/** The path of `relative` under bench/node_modules (which may not exist). */
export function contenderPath(relative: string): string {
  return fileURLToPath(new URL(`node_modules/${relative}`, BENCH_PACKAGE_DIR));
}
