import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { promisify } from 'node:util';
import { within } from '../helpers/bounded.js';
import { collector } from '../helpers/collector.js';
import type { main as Main } from '../../src/cli/main.js';

const run = promisify(execFile);
const ROOT = process.cwd();
const BIN = join(ROOT, 'bin', 'dsock.js');

/**
 * The entry bin/dsock.js runs, from the built package as `npx dsock` loads it. The command
 * lines and help texts below are read from it in this process: a process of its own for each
 * would cost a Node start-up each, and what they prove is the text and the exit status. One
 * real `dsock` process for each kind of result shows the two say the same.
 */
const { main } = (await import(new URL('../../../dist/cli/main.js', import.meta.url).href)) as {
  main: typeof Main;
};

/** What one dsock command line printed and its exit status. */
interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `dsock ARGV` in this process through the CLI's entry, bounded: a command line that
 * started work instead of ending at its help or usage error fails the test.
 */
async function dsockInProcess(argv: string[]): Promise<CliResult> {
  const stdout = collector();
  const stderr = collector();
  const code = await within(
    main(argv, { stdout: stdout.stream, stderr: stderr.stream }),
    20_000,
    `dsock ${argv.join(' ')}`,
  );
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Runs `dsock ARGV` as a process of its own, as a shell would, with stdin closed. */
async function dsockProcess(argv: string[]): Promise<CliResult> {
  const child = run(process.execPath, [BIN, ...argv], { timeout: 20_000, killSignal: 'SIGKILL' });
  child.child.stdin?.end();
  return child.then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
}

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
/** An option no command has: every option before it must parse for dsock to name this one. */
const PROBE = '--zz-readme-check';

/** The fenced code blocks of the README in language `lang`. */
function blocks(lang: string): string[] {
  const found: string[] = [];
  for (const match of README.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) {
    if (match[1] === lang) found.push(match[2] as string);
  }
  return found;
}

/**
 * Splits one shell line into words, as sh would for these simple lines: quotes and backslashes,
 * a comment from an unquoted `#`, and the operators `|`, `&&`, `;`, `<`, `>` as words of their own.
 */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      assert.ok(end > i, `unbalanced quote in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '\\') {
      word = (word ?? '') + (line[++i] ?? '');
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '#' && word === undefined) {
      break;
    } else if ('|&;<>'.includes(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      words.push(line[i + 1] === '&' || line[i + 1] === '|' ? c + (line[++i] as string) : c);
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The dsock command lines of one shell line: the words after `npx dsock` up to an operator. */
function dsockCommands(line: string): { argv: string[]; bare: boolean }[] {
  const words = shellWords(line);
  const commands: { argv: string[]; bare: boolean }[] = [];
  let start = 0;
  for (let i = 0; i <= words.length; i++) {
    const word = words[i];
    if (word !== undefined && !['|', '||', '&&', ';', '<', '>', '&'].includes(word)) continue;
    const segment = words.slice(start, i);
    if (segment[0] === 'npx' && segment[1] === 'dsock') {
      commands.push({ argv: segment.slice(2), bare: false });
    } else if (segment[0] === 'dsock') {
      commands.push({ argv: segment.slice(1), bare: true });
    }
    // A redirection's file name is not a command.
    start = word === '<' || word === '>' ? i + 2 : i + 1;
    if (word === '<' || word === '>') i++;
  }
  return commands;
}

/**
 * Checks `dsock ARGV --zz-readme-check`: a command that exists, given options it knows (with
 * their values), stops at the probe and names it, exit 2. Nothing else runs.
 */
function checkCommandLine(result: CliResult, argv: string[], where: string): void {
  assert.equal(result.code, 2, `${where}: dsock ${argv.join(' ')}: ${result.stderr}`);
  assert.match(
    result.stderr,
    new RegExp(`Unknown option '${PROBE}'`),
    `${where}: "dsock ${argv.join(' ')}" is not a command line dsock takes: ${result.stderr}`,
  );
}

// The README's API tour is compiled and run with the sources' examples (test/docs/examples).
describe('the README', { concurrency: true }, () => {
  it('runs dsock in its examples as npx dsock, with commands and options that exist', async () => {
    const commands: { argv: string[]; where: string }[] = [];
    for (const block of blocks('sh')) {
      for (const line of block.split('\n')) {
        for (const { argv, bare } of dsockCommands(line)) {
          // The examples run as written from the clone: dsock is not on PATH before npm link.
          assert.equal(bare, false, `write "npx dsock" in: ${line}`);
          commands.push({ argv, where: line });
        }
      }
    }
    assert.ok(commands.length >= 20, `${commands.length} example command lines found`);
    // Inline commands: runnable ones (`npx dsock ...`), and the synopses of the command table,
    // whose placeholders (PORT, [--host H], [PEER...]) stand in for values.
    for (const match of README.matchAll(/`((?:npx )?dsock [^`]+)`/g)) {
      const words = (match[1] as string)
        .replace(/^npx /, '')
        .replace(/\[|\]|\.\.\.|\s\|\s/g, ' ')
        .split(/\s+/)
        .filter((w) => w !== '');
      // `dsock COMMAND --help` and the like name no command of their own.
      if (words[1] === undefined || words[1] === words[1].toUpperCase()) continue;
      commands.push({ argv: words.slice(1), where: match[0] });
    }
    // The first line also as a process of its own: its exit status and its error line are
    // those of the entry called here.
    const first = commands[0] as (typeof commands)[number];
    const inProcess = await dsockInProcess([...first.argv, PROBE]);
    checkCommandLine(inProcess, first.argv, first.where);
    assert.deepEqual(await dsockProcess([...first.argv, PROBE]), inProcess, 'as a process');
    for (const { argv, where } of commands) {
      checkCommandLine(await dsockInProcess([...argv, PROBE]), argv, where);
    }
  });

  it('lists in each row of its command table exactly the options of the command --help lists', async () => {
    // Rows per command (`udp send` has two): the words before the first placeholder.
    const rows = new Map<string, string>();
    for (const match of README.matchAll(/^\| `dsock ([^`]+)` \|/gm)) {
      const synopsis = match[1] as string;
      const words = synopsis
        .split(' ')
        .filter(
          (w, i, all) => /^[a-z]+$/.test(w) && all.slice(0, i).every((v) => /^[a-z]+$/.test(v)),
        );
      const key = words.join(' ');
      rows.set(key, `${rows.get(key) ?? ''} ${synopsis}`);
    }
    assert.ok(rows.size >= 12, `${rows.size} commands in the README table`);
    const helpOf = async (command: string): Promise<string> => {
      const result = await dsockInProcess([...command.split(' '), '--help']);
      assert.equal(result.code, 0, `dsock ${command} --help: ${result.stderr}`);
      return result.stdout;
    };
    // The first command's help also from a process of its own: the same text, exit 0.
    const [firstCommand] = [...rows.keys()] as [string];
    assert.deepEqual(
      await dsockProcess([...firstCommand.split(' '), '--help']),
      { code: 0, stdout: await helpOf(firstCommand), stderr: '' },
      `dsock ${firstCommand} --help as a process`,
    );
    const checkRow = async ([command, row]: [string, string]) => {
      const help = await helpOf(command);
      const usage = help.slice(0, help.indexOf('\n\n'));
      const section = help.slice(help.indexOf('\nOptions:'));
      const options = help.includes('\nOptions:')
        ? [...(section.split('\n\n')[0] as string).matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm)].map(
            (m) => m[1] as string,
          )
        : [];
      const inRow = [...row.matchAll(/--[a-z-]+/g)].map((m) => m[0]);
      for (const option of options) {
        assert.ok(inRow.includes(option), `the README row of "dsock ${command}" lacks ${option}`);
        assert.ok(usage.includes(option), `the usage line of "dsock ${command}" lacks ${option}`);
      }
      for (const option of inRow) {
        assert.ok(options.includes(option), `"dsock ${command} --help" does not list ${option}`);
      }
      // Wherever --name is documented, so is its short form.
      if (options.includes('--name')) assert.match(help, /-n, --name/, `dsock ${command} --help`);
    };
    for (const entry of rows) await checkRow(entry);
  });
});
