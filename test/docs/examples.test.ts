import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as dsock from '../../src/index.js';
import { PackageApp } from '../helpers/package-app.js';

// Every `@example` of the sources is code a user may copy: each is compiled against the built
// package as a user's app would be, and run where it keeps to this machine's loopback.

const ROOT = process.cwd();

interface Example {
  /** Where it is: `src/file.ts:line`. */
  where: string;
  code: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return sourceFiles(path);
      return name.endsWith('.ts') ? [path] : [];
    });
}

/** The fenced `ts` blocks that follow an `@example` tag in the doc comments of `file`. */
function examplesOf(file: string): Example[] {
  const text = readFileSync(file, 'utf8');
  const found: Example[] = [];
  // The tag, any lines of text, then the fence, within one doc comment (no line is its end).
  const pattern =
    /@example[^\n]*\n(?:[ \t]*\*(?!\/)(?!\s*```).*\n)*?[ \t]*\*\s*```ts\n((?:[ \t]*\*(?!\/)(?!\s*```).*\n)*?)[ \t]*\*\s*```/g;
  for (const match of text.matchAll(pattern)) {
    const line = text.slice(0, match.index).split('\n').length;
    const code = (match[1] as string)
      .split('\n')
      .map((l) => l.replace(/^[ \t]*\* ?/, ''))
      .join('\n');
    found.push({ where: `${relative(ROOT, file)}:${line}`, code });
  }
  return found;
}

/**
 * The example as a module of a user's app: as written when it imports from 'dsock', else with
 * an import of every name of the package it uses (short examples of one method leave it out).
 */
function asModule(code: string): string {
  if (/from 'dsock'/.test(code)) return `${code}\nexport {};\n`;
  const used = Object.keys(dsock).filter((name) => new RegExp(`\\b${name}\\b`).test(code));
  return `import { ${used.join(', ')} } from 'dsock';\n${code}\nexport {};\n`;
}

/** Why an example is compiled but not run, or undefined to run it. */
function notRun(code: string): string | undefined {
  if (/Discovery\.start|joinGroup/.test(code)) {
    return "it sends multicast on this machine's interfaces, and tests keep to loopback";
  }
  if (/\bresolvePeers\b|DatagramSocket\.bind\('0\.0\.0\.0/.test(code)) {
    return 'it binds or reaches beyond loopback';
  }
  return undefined;
}

/** The lines an example promises with `console.log(...); // output` (`...`: anything after). */
function promisedLines(code: string): (string | RegExp)[] {
  const promised: (string | RegExp)[] = [];
  for (const match of code.matchAll(/console\.log\(.*\);\s*\/\/ (.+)$/gm)) {
    const text = (match[1] as string).trim();
    const at = text.indexOf('...');
    if (at < 0) promised.push(text);
    else promised.push(new RegExp(`^${text.slice(0, at).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  }
  return promised;
}

/** How many examples run at once. */
const EXAMPLES_AT_ONCE = 2;

const examples = sourceFiles(join(ROOT, 'src')).flatMap(examplesOf);
const names = examples.map((_, i) => `example-${i + 1}.ts`);
const tsconfig = {
  compilerOptions: {
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2022',
    lib: ['ES2022', 'ESNext.Disposable'],
    types: ['node'],
    strict: true,
  },
};

describe('the @example blocks of the sources', () => {
  it('cover the main classes and functions', () => {
    const all = examples.map((e) => e.code).join('\n');
    for (const name of [
      'DatagramSocket',
      'StreamSocket',
      'StreamServer',
      'MessageStream',
      'ReliableDatagramSocket',
      'parseEndpoint',
      'formatEndpoint',
      'localAddresses',
      'Discovery',
      'ChaosRelay',
      'SocketError',
    ]) {
      assert.match(all, new RegExp(`import \\{[^}]*\\b${name}\\b[^}]*\\} from 'dsock'`), name);
    }
  });

  it('compile against the built package, and run to their promised output', async (t) => {
    assert.ok(examples.length >= 10, `${examples.length} examples found`);
    await using app = await PackageApp.create(
      'dsock-examples-',
      tsconfig,
      new Map(examples.map((example, i) => [names[i] as string, asModule(example.code)])),
    );
    await app.compile(
      `the examples (${examples.map((e, i) => `${names[i]}: ${e.where}`).join(', ')})`,
    );
    const env = { ...process.env };
    delete env.DSOCK_NATIVE;
    const runnable = examples.flatMap((example, i) => {
      const reason = notRun(example.code);
      if (reason === undefined) return [{ example, file: names[i] as string }];
      t.diagnostic(`${example.where}: compiled, not run: ${reason}`);
      return [];
    });
    // Each example is its own process on ports the system picks: two run at once, as much of
    // an example's time is waiting on Node starting and on round trips over loopback.
    const checkOne = async ({ example, file }: (typeof runnable)[number]) => {
      const stdout = await app.run(file, env);
      const lines = stdout.split('\n');
      for (const promise of promisedLines(example.code)) {
        assert.ok(
          lines.some((l) => (typeof promise === 'string' ? l === promise : promise.test(l))),
          `${example.where} promises the line ${String(promise)}; it printed:\n${stdout}`,
        );
      }
    };
    const queue = [...runnable];
    const worker = async () => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) await checkOne(next);
    };
    // Every worker ends (a failing one stops taking examples) before the app's folder goes.
    const results = await Promise.allSettled(Array.from({ length: EXAMPLES_AT_ONCE }, worker));
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  });
});
