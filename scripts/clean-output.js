// Prepares the TypeScript compiler's output directories for an incremental build: removes every
// output whose source is gone, so that a file deleted or moved in src/ or test/ leaves nothing
// behind (no stale module in the packed package, no deleted test run), and keeps the rest, which
// the compiler then rewrites only where its source changed (its build information is in
// build/*.tsbuildinfo). The compiler trusts that information and does not look at its outputs,
// so where a source's output is missing (a directory removed by hand, say) the information is
// dropped and the next build writes everything. The native addon's build (build/Release,
// node-gyp's files) and the recorded test durations stay.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Output directory, the sources it is compiled from, and the build information it belongs to. */
const OUTPUTS = [
  { out: 'dist', from: 'src', info: 'build/dist.tsbuildinfo' },
  { out: 'build/src', from: 'src', info: 'build/tests.tsbuildinfo' },
  { out: 'build/test', from: 'test', info: 'build/tests.tsbuildinfo' },
  { out: 'build/bench', from: 'bench', info: 'build/tests.tsbuildinfo' },
];
/** What the compiler writes for `x.ts`: `x.js`, `x.d.ts` and their source maps. */
const OUTPUT_SUFFIX = /\.(js|d\.ts)(\.map)?$/;

/** Paths of the files under `dir`, relative to it (none if it does not exist). */
function filesUnder(dir, skip = () => false) {
  if (!existsSync(dir)) return [];
  const found = [];
  const walk = (relative) => {
    for (const name of readdirSync(join(dir, relative))) {
      const path = join(relative, name);
      if (skip(path)) continue;
      if (statSync(join(dir, path)).isDirectory()) walk(path);
      else found.push(path);
    }
  };
  walk('');
  return found;
}

/** Removes the directories under `dir` that the removals above left empty. */
function removeEmptyDirs(dir) {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (!statSync(path).isDirectory()) continue;
    removeEmptyDirs(path);
    if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
  }
}

const staleInfo = new Set();
for (const { out, from, info } of OUTPUTS) {
  for (const file of filesUnder(out)) {
    const source = join(from, file.replace(OUTPUT_SUFFIX, '.ts'));
    if (!OUTPUT_SUFFIX.test(file) || !existsSync(source)) rmSync(join(out, file));
  }
  removeEmptyDirs(out);
  const sources = filesUnder(from, (path) => path.includes('node_modules')).filter(
    (file) => file.endsWith('.ts') && !file.endsWith('.d.ts'),
  );
  if (sources.some((file) => !existsSync(join(out, file.replace(/\.ts$/, '.js'))))) {
    staleInfo.add(info);
  }
}
for (const info of staleInfo) rmSync(info, { force: true });
