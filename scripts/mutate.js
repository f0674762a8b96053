#!/usr/bin/env node
// Mutation testing with a fixed list of mutations: each one breaks an option, a limit or a
// mechanism in a scratch copy of the repository (never in this working tree), and the test
// files that cover it are run against the broken code. A mutation the tests notice is caught;
// one they do not notice survived, and shows a test that does not prove what it claims.
//
// Usage: node scripts/mutate.js [--list] [--keep] [--no-dry-run] [ID...]
//   ID...         run only the mutations whose id contains one of these words
//   --list        print the mutations and the test files each one runs, and exit
//   --keep        leave the scratch copy (its path is printed) instead of deleting it
//   --no-dry-run  skip the first run of the selected tests on the unmutated code
//
// A mutation whose text no longer occurs exactly once in its source file is reported as an
// error (exit status 1), so that the list is kept up to date with the code it mutates.
// Each mutated file is compiled alone (TypeScript's transpileModule, no type check) into both
// dist/ (used by the dsock command) and build/src/ (used by the tests).
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { MUTATIONS } from './mutations.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The longest one mutation's test run may take before it is stopped (and counted caught). */
const RUN_TIMEOUT_MS = 10 * 60 * 1000;

const args = process.argv.slice(2);
const listOnly = args.includes('--list');
const keep = args.includes('--keep');
const noDryRun = args.includes('--no-dry-run');
const words = args.filter((a) => !a.startsWith('--'));
const selected = MUTATIONS.filter((m) => words.length === 0 || words.some((w) => m.id.includes(w)));
if (selected.length === 0) {
  console.error(`no mutation matches ${words.join(', ')}; ids: ${MUTATIONS.map((m) => m.id)}`);
  process.exit(2);
}

if (listOnly) {
  for (const m of selected) {
    console.log(`${m.id}: ${m.description}\n    files: ${m.edits.map((e) => e.file).join(', ')}`);
    console.log(`    tests: ${m.tests.join(' ')}`);
  }
  process.exit(0);
}

/** The edited text of each file of `mutation`, or the reason it cannot be applied. */
function apply(mutation, sources) {
  const out = new Map();
  for (const edit of mutation.edits) {
    const text = out.get(edit.file) ?? sources(edit.file);
    const count = text.split(edit.find).length - 1;
    if (count !== 1) {
      const where = count === 0 ? 'no longer occurs' : `occurs ${count} times`;
      return { error: `${edit.file}: the text to mutate ${where}: ${JSON.stringify(edit.find)}` };
    }
    out.set(
      edit.file,
      text.replace(edit.find, () => edit.replace),
    );
  }
  return { files: out };
}

function transpile(file, text) {
  return ts.transpileModule(text, {
    fileName: file,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      sourceMap: false,
    },
  }).outputText;
}

/** The compiled outputs of a source file under src/: in dist/ and in build/src/. */
function outputsOf(file) {
  const js = file.replace(/\.ts$/, '.js');
  return [join('dist', relative('src', js)), join('build', js)];
}

/** Runs `node scripts/run-tests.js FILTERS` in `cwd`; resolves with the exit status and output. */
function runTests(cwd, filters) {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ['scripts/run-tests.js', ...filters], {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, RUN_TIMEOUT_MS);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolveRun({ status, timedOut, output });
    });
  });
}

/** The names of the tests that failed, from the spec reporter's output. */
function failedTests(output) {
  const names = [];
  for (const line of output.split('\n')) {
    const match = /^\s*✖ (.*?)(?: \(\d[\d.]*m?s\))?$/.exec(line);
    if (match && !names.includes(match[1]) && !/^(failing tests:|tests|suites)/.test(match[1])) {
      names.push(match[1]);
    }
  }
  return names;
}

const scratch = mkdtempSync(join(tmpdir(), 'dsock-mutate-'));
console.log(`# scratch copy: ${scratch}`);
let errors = 0;
try {
  const skip = new Set(['node_modules', '.git', 'build', 'dist']);
  cpSync(ROOT, scratch, {
    recursive: true,
    filter: (path) => !skip.has(relative(ROOT, path).split('/')[0]),
  });
  symlinkSync(join(ROOT, 'node_modules'), join(scratch, 'node_modules'), 'dir');
  const addon = join(ROOT, 'build', 'Release', 'dsock_native.node');
  if (existsSync(addon)) cpSync(addon, join(scratch, 'build', 'Release', 'dsock_native.node'));
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  // Const enums are kept as objects too: a file compiled alone refers to them by name.
  for (const project of ['tsconfig.build.json', 'tsconfig.json']) {
    const built = spawnSync(process.execPath, [tsc, '-p', project, '--preserveConstEnums'], {
      cwd: scratch,
      stdio: 'inherit',
    });
    if (built.status !== 0) throw new Error(`tsc -p ${project} failed in the scratch copy`);
  }

  // The tests must pass on the code as it is, or every mutation would look caught.
  if (!noDryRun) {
    const filters = [...new Set(selected.flatMap((m) => m.tests))];
    const started = performance.now();
    const dry = await runTests(scratch, filters);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if (dry.timedOut || dry.status !== 0) {
      const failed = failedTests(dry.output).slice(0, 5).join('; ');
      throw new Error(`the tests fail without any mutation (${seconds} s): ${failed}`);
    }
    console.log(`# the unmutated code passes the selected tests (${seconds} s)`);
  }

  const source = (file) => readFileSync(join(scratch, file), 'utf8');
  const results = [];
  for (const mutation of selected) {
    const applied = apply(mutation, source);
    if (applied.error !== undefined) {
      errors++;
      results.push({ mutation, verdict: 'ERROR', detail: applied.error });
      console.log(`ERROR     ${mutation.id}: ${applied.error}`);
      continue;
    }
    const saved = new Map();
    for (const [file, text] of applied.files) {
      saved.set(file, source(file));
      writeFileSync(join(scratch, file), text);
      const js = transpile(file, text);
      for (const output of outputsOf(file)) {
        saved.set(output, readFileSync(join(scratch, output), 'utf8'));
        writeFileSync(join(scratch, output), js);
      }
    }
    const started = performance.now();
    const run = await runTests(scratch, mutation.tests);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    for (const [file, text] of saved) writeFileSync(join(scratch, file), text);
    let verdict;
    let detail;
    if (run.timedOut) {
      verdict = 'caught';
      detail = `the tests did not finish within ${RUN_TIMEOUT_MS / 1000} s`;
    } else if (run.status !== 0) {
      verdict = 'caught';
      const failed = failedTests(run.output);
      detail = failed.length > 0 ? `by ${failed.slice(0, 3).join('; ')}` : `exit ${run.status}`;
    } else {
      verdict = 'SURVIVED';
      detail = 'every test passed';
    }
    results.push({ mutation, verdict, detail });
    console.log(`${verdict.padEnd(9)} ${mutation.id} (${seconds} s): ${detail}`);
  }

  const caught = results.filter((r) => r.verdict === 'caught').length;
  const survived = results.filter((r) => r.verdict === 'SURVIVED');
  const scored = caught + survived.length;
  console.log(
    `\n# mutation score: ${caught}/${scored} caught` +
      (scored > 0 ? ` (${Math.round((100 * caught) / scored)}%)` : '') +
      (errors > 0 ? `; ${errors} mutation(s) no longer apply` : ''),
  );
  for (const { mutation } of survived) {
    console.log(`# survived: ${mutation.id}: ${mutation.description}`);
  }
} finally {
  if (keep) console.log(`# scratch copy kept: ${scratch}`);
  else rmSync(scratch, { recursive: true, force: true });
}
process.exit(errors > 0 ? 1 : 0);
