import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as dsock from '../../src/index.js';
import { PackageApp } from '../helpers/package-app.js';
import { runPrograms } from '../helpers/program-threads.js';

// Every `@example` of the sources, and the README's API tour, is code a user may copy: each is
// compiled against the built package as a user's app would be (all in one compile), and run
// where it keeps to this machine's loopback.

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
const EXAMPLES_AT_ONCE = 3;

/** An example compiled to `file` of an app, and where it is. */
interface Compiled {
  file: string;
  code: string;
  where: string;
}

/**
 * Runs the compiled examples, each as a program of its own to its end (see runPrograms: in a
 * few threads of this process, as a process each would cost a Node start-up each), and checks
 * that each printed every line its comments promise. Resolves with what went wrong, naming the
 * example: one that threw, set an exit status other than 0, or had not ended within
 * `timeoutMs` (something it opened was still open), and each promised line not printed.
 */
async function exampleFailures(
  app: PackageApp,
  compiled: readonly Compiled[],
  timeoutMs = 15_000,
): Promise<string[]> {
  const results = await runPrograms(
    compiled.map((c) => join(app.dir, c.file.replace(/\.ts$/, '.js'))),
    { env: userEnvironment(), threads: EXAMPLES_AT_ONCE, timeoutMs },
  );
  return results.flatMap(({ stdout, failure }, i) => {
    const { code, where } = compiled[i] as Compiled;
    if (failure !== undefined) return [`${where} ${failure}`];
    const lines = stdout.split('\n');
    return promisedLines(code)
      .filter((p) => !lines.some((l) => (typeof p === 'string' ? l === p : p.test(l))))
      .map((p) => `${where} promises the line ${String(p)}; it printed:\n${stdout}`);
  });
}

/** This environment as a user's would be: without the test runner's DSOCK_NATIVE choice. */
function userEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.DSOCK_NATIVE;
  return env;
}

const examples = sourceFiles(join(ROOT, 'src')).flatMap(examplesOf);
const names = examples.map((_, i) => `example-${i + 1}.ts`);
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The fenced code blocks of the README in language `lang`. */
function readmeBlocks(lang: string): string[] {
  return [...README.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)]
    .filter((m) => m[1] === lang)
    .map((m) => m[2] as string);
}

/**
 * The tsconfig the README gives a user's app, checked for what the README promises of it: the
 * tour and the examples are compiled with it, declarations included, as a user's app is.
 */
function tsconfigOfReadme(): { compilerOptions: Record<string, unknown> } {
  const configs = readmeBlocks('json').filter((block) => block.includes('compilerOptions'));
  assert.equal(configs.length, 1, 'the README shows one tsconfig');
  const tsconfig = JSON.parse(configs[0] as string) as { compilerOptions: Record<string, unknown> };
  const options = tsconfig.compilerOptions;
  assert.equal(options.strict, true);
  assert.equal(String(options.module).toLowerCase(), 'nodenext');
  assert.equal(String(options.moduleResolution).toLowerCase(), 'nodenext');
  assert.equal(String(options.target).toLowerCase(), 'es2022');
  return tsconfig;
}

/** The README's API tour: its `ts` blocks, each a program of a user's app. */
const tour = readmeBlocks('ts');
const tourFiles = tour.map((_, i) => `tour-${i + 1}.ts`);

/**
 * The README's tour and every example, compiled once into one app (a compile costs a few
 * seconds of processor time, most of them reading the declarations).
 */
let documented: PackageApp | undefined;

describe('the code of the documentation', () => {
  before(async () => {
    assert.ok(tour.length > 0, 'the README has a ts block');
    documented = await PackageApp.create(
      'dsock-documented-',
      tsconfigOfReadme(),
      new Map([
        ...tour.map((code, i): [string, string] => [tourFiles[i] as string, code]),
        ...examples.map((example, i): [string, string] => [
          names[i] as string,
          asModule(example.code),
        ]),
      ]),
    );
    await documented.compile(
      `the README's tour and the examples (${examples.map((e, i) => `${names[i]}: ${e.where}`).join(', ')})`,
    );
  });
  after(() => documented?.close());

  it("the README's API tour compiles against the built package and runs, exit 0", async () => {
    const app = documented as PackageApp;
    // Each program runs as a process of its own, as a user runs it, and must end by itself.
    for (const stdout of await Promise.all(
      tourFiles.map((file) => app.run(file, userEnvironment())),
    )) {
      // What the tour's comments promise.
      assert.match(stdout, /^Hello, world! from port \d+ false\none\ntwo$/m);
      assert.match(stdout, /^ping 0 0 pong$/m);
      assert.match(stdout, /^message 1\nmessage 2\nmessage 3$/m);
      assert.match(stdout, /^exactly once$/m);
      assert.match(stdout, /^ECONNREFUSED /m);
    }
  });

  it('the @example blocks cover the main classes and functions', () => {
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

  it('the @example blocks compile against the built package, and run to their promised output', async (t) => {
    assert.ok(examples.length >= 10, `${examples.length} examples found`);
    const app = documented as PackageApp;
    const runnable = examples.flatMap((example, i) => {
      const reason = notRun(example.code);
      if (reason === undefined) return [{ file: names[i] as string, ...example }];
      t.diagnostic(`${example.where}: compiled, not run: ${reason}`);
      return [];
    });
    const failures = await exampleFailures(app, runnable);
    assert.equal(failures.length, 0, failures.join('\n\n'));
  });

  it('an example fails that throws, prints other than it promises, or leaves a socket open', async () => {
    // Examples as a user could get them wrong, written as the compiled JavaScript they become,
    // and what each run says; the last is right, after the others failed in the same threads.
    const broken: [string, string, RegExp | undefined][] = [
      [
        'throws.js',
        "import { StreamSocket } from 'dsock';\n" +
          "await StreamSocket.connect('127.0.0.1:1', { timeout: 1000 }); // refused, not caught\n",
        /^throws\.js failed \(exit status 1\):\n[\s\S]*ECONNREFUSED/,
      ],
      [
        'throws-later.js',
        "setTimeout(() => { throw new Error('thrown in a callback'); }, 10);\n" +
          "console.log('started'); // started\n",
        /^throws-later\.js failed \(exit status 1\):\n[\s\S]*thrown in a callback/,
      ],
      [
        'wrong-value.js',
        "import { formatEndpoint } from 'dsock';\n" +
          "console.log(formatEndpoint({ host: '::1', port: 80 })); // ::1:80\n",
        /^wrong-value\.js promises the line ::1:80; it printed:\n\[::1\]:80\n$/,
      ],
      [
        'never-settles.js',
        'await new Promise(() => {}); // nothing can resolve it\n',
        /^never-settles\.js failed \(exit status 13\)/,
      ],
      [
        'open-server.js',
        "import { StreamServer } from 'dsock';\n" +
          "const server = await StreamServer.listen('127.0.0.1:0');\n" +
          'console.log(server.localEndpoint.port > 0); // true\n',
        /^open-server\.js did not exit within 1000 ms/,
      ],
      [
        // Through the native addon where it is built: its sockets are libuv handles of its own.
        'open-datagram-socket.js',
        "import { DatagramSocket } from 'dsock';\n" +
          "const socket = await DatagramSocket.bind('127.0.0.1:0');\n" +
          'console.log(socket.localEndpoint.port > 0); // true\n',
        /^open-datagram-socket\.js did not exit within 1000 ms/,
      ],
      [
        'right.js',
        "import { formatEndpoint } from 'dsock';\n" +
          "console.log(formatEndpoint({ host: '::1', port: 80 })); // [::1]:80\n",
        undefined,
      ],
    ];
    await using app = await PackageApp.create(
      'dsock-broken-examples-',
      { compilerOptions: {} }, // not compiled: written as JavaScript
      new Map(broken.map(([file, code]) => [file, code])),
    );
    const compiled = broken.map(([file, code]) => ({ file, code, where: file }));
    // One that never ends does so however long it is given: a second tells it as well as a
    // minute. The others get the time any example gets.
    const open = (c: Compiled) => c.file.startsWith('open-');
    const failures = (
      await Promise.all([
        exampleFailures(
          app,
          compiled.filter((c) => !open(c)),
        ),
        exampleFailures(app, compiled.filter(open), 1000),
      ])
    ).flat();
    for (const [file, , expected] of broken) {
      const said = failures.filter((f) => f.startsWith(`${file} `));
      if (expected === undefined) assert.deepEqual(said, [], file);
      else assert.ok(said.length === 1 && expected.test(said[0] as string), said.join('\n'));
    }
  });
});
