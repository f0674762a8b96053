// Removes what the TypeScript compiler wrote for a source that is gone (a file deleted or moved
// in src/, test/ or bench/), before a build, so that it leaves nothing behind: no stale module in
// the packed package, no deleted test run. The native addon's build (build/Release, node-gyp's
// files) and the recorded test durations stay.
//
// The compiles are incremental: tsconfig.build.json and tsconfig.json keep what they know of the
// last compile (build info, under build/), so what is still current is neither checked nor
// written again. tsc trusts its build info and would not write again an output that is missing
// or was changed after it, so in that case the build info goes, and the next compile is whole.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Each compile: where its sources are, where it writes, what it writes, its build info. */
const COMPILES = [
  {
    roots: [['src', 'dist']],
    kinds: ['.js', '.js.map', '.d.ts', '.d.ts.map'],
    info: join('build', 'tsconfig.build.tsbuildinfo'),
  },
  {
    roots: [
      ['src', join('build', 'src')],
      ['test', join('build', 'test')],
      ['bench', join('build', 'bench')],
    ],
    kinds: ['.js', '.js.map'],
    info: join('build', 'tsconfig.tsbuildinfo'),
  },
];

/** Every file under `dir`, as paths relative to it. */
function filesUnder(dir, prefix = '') {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // bench/ has its own installed packages, which the compiler passes over as well.
    if (entry.name === 'node_modules') continue;
    const path = join(prefix, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(join(dir, entry.name), path));
    else out.push(path);
  }
  return out;
}

for (const { roots, kinds, info } of COMPILES) {
  const written = existsSync(info) ? statSync(info).mtimeMs : undefined;
  let whole = written === undefined;
  for (const [sourceDir, outputDir] of roots) {
    for (const file of filesUnder(outputDir)) {
      const kind = kinds.find((k) => file.endsWith(k));
      const source = kind && join(sourceDir, `${file.slice(0, -kind.length)}.ts`);
      if (!source || !existsSync(source)) rmSync(join(outputDir, file), { force: true });
      else if (written !== undefined && statSync(join(outputDir, file)).mtimeMs > written)
        whole = true;
    }
    for (const file of filesUnder(sourceDir)) {
      if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
      if (kinds.some((k) => !existsSync(join(outputDir, `${file.slice(0, -3)}${k}`)))) whole = true;
    }
  }
  if (whole) rmSync(info, { force: true });
}
