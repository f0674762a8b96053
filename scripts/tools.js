#!/usr/bin/env node
// Runs one of the development tools (eslint, prettier, depcruise, api-extractor, typedoc) from
// tools/node_modules, installing tools/ first when it is missing or stale (scripts/install-once.js):
// `node scripts/tools.js TOOL ARGS...`, in the repository's root, where the tools find their
// configuration (eslint.config.js, .prettierrc.json, .dependency-cruiser.js, api-extractor.json,
// typedoc.json) and the sources. The main `npm ci` does not install them: `npm test` needs none.
//
// tools/ has no TypeScript of its own: typescript-eslint, typedoc and dependency-cruiser resolve
// the project's (node_modules/typescript), the one `tsc` uses (see tools/.npmrc).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { installOnce, ROOT } from './install-once.js';

const TOOLS = ['api-extractor', 'depcruise', 'eslint', 'prettier', 'typedoc'];
const [tool, ...args] = process.argv.slice(2);

if (!TOOLS.includes(tool)) {
  console.error(`usage: node scripts/tools.js ${TOOLS.join('|')} [ARGS...]`);
  process.exit(2);
}
if (!existsSync(join(ROOT, 'node_modules', 'typescript'))) {
  console.error('tools: node_modules/typescript is missing: run `npm ci` first');
  process.exit(1);
}
installOnce('tools', 'the lint, format and documentation tools');

const bin = join(ROOT, 'tools', 'node_modules', '.bin', tool);
const result = spawnSync(bin, args, {
  cwd: ROOT,
  stdio: 'inherit',
  shell: process.platform === 'win32',
});
if (result.error) {
  console.error(`tools: ${tool} did not start (${result.error.message})`);
  process.exit(1);
}
process.exit(result.status ?? 1);
