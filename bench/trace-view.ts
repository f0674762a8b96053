/**
 * What `dsock trace view` costs on a long run: first records the traces of four processes with
 * real traffic on loopback (two streamers through a lossy, duplicating chaos relay into a
 * sink, each with --trace), about 100,000 events in all; then times `dsock trace view` on them
 * for each format, in a fresh process each run, under /usr/bin/time -v (wall time and peak
 * RSS; CPU time as well, steadier than wall time on a shared machine), and prints the medians.
 *
 *   npm run build && npx tsc -p tsconfig.json
 *   node build/bench/trace-view.js record DIR [--datagrams 25000] [--rate 4000]
 *   node build/bench/trace-view.js time DIR [--runs 3] [--formats mermaid,svg,html]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const DSOCK = join(ROOT, 'bin/dsock.js');

function option(args: string[], name: string, fallback: string): string {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? (args[at + 1] as string) : fallback;
}

/** A dsock child; resolves with the first stderr line matching `ready`, if given. */
function start(args: string[], ready?: RegExp): { child: ChildProcess; line: Promise<string> } {
  const child = spawn(process.execPath, [DSOCK, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  const line = new Promise<string>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`no ${String(ready)} from ${args.join(' ')}`)),
      20_000,
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = ready?.exec(text);
      if (match) {
        clearTimeout(timer);
        done(match[1] as string);
      }
    });
    if (ready === undefined) {
      clearTimeout(timer);
      done('');
    }
  });
  return { child, line };
}

function exited(child: ChildProcess, ms: number): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error('a child did not exit in time')), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done(code);
    });
  });
}

async function record(dir: string, datagrams: number, rate: string): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const trace = (name: string): string[] => ['--trace', join(dir, `${name}.jsonl`)];
  const children: ChildProcess[] = [];
  try {
    const sink = start(
      ['sink', 'udp', '0', '--host', '127.0.0.1', '--idle-timeout', '2', ...trace('sink')],
      /listening on .*:(\d+)\n/,
    );
    children.push(sink.child);
    const sinkPort = await sink.line;
    const traced = start(
      [
        'chaos',
        'udp',
        '0',
        `127.0.0.1:${sinkPort}`,
        '--loss',
        '0.05',
        '--dup',
        '0.05',
        '--seed',
        '7',
        ...trace('relay'),
      ],
      /relaying 127\.0\.0\.1:(\d+) ->/,
    );
    children.push(traced.child);
    const relayPort = await traced.line;
    const streamers = ['streamer-a', 'streamer-b'].map((name) =>
      start([
        'stream',
        'udp',
        String(datagrams),
        `127.0.0.1:${relayPort}`,
        '--rate',
        rate,
        ...trace(name),
      ]),
    );
    children.push(...streamers.map((s) => s.child));
    for (const s of streamers) await exited(s.child, 120_000);
    await exited(sink.child, 60_000);
    traced.child.kill('SIGINT');
    await exited(traced.child, 10_000);
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
  let total = 0;
  for (const file of readdirSync(dir)) {
    const lines = readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter((l) => l !== '').length;
    total += lines;
    console.log(`${file}: ${lines} events`);
  }
  console.log(`${total} events in all`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function time(dir: string, runs: number, formats: string[]): void {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => join(dir, f));
  const out = join(tmpdir(), `dsock-trace-view-${process.pid}.out`);
  try {
    for (const format of formats) {
      const seconds: number[] = [];
      const rss: number[] = [];
      const cpu: number[] = [];
      for (let run = 0; run < runs; run++) {
        const result = spawnSync(
          '/usr/bin/time',
          ['-v', process.execPath, DSOCK, 'trace', 'view', ...files, '--format', format, '-o', out],
          { encoding: 'utf8', timeout: 300_000 },
        );
        if (result.status !== 0) throw new Error(`trace view failed: ${result.stderr}`);
        const wall = /Elapsed \(wall clock\) time .*: (?:(\d+):)?(\d+):([\d.]+)/.exec(
          result.stderr,
        );
        const peak = /Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr);
        const user = /User time \(seconds\): ([\d.]+)/.exec(result.stderr);
        const system = /System time \(seconds\): ([\d.]+)/.exec(result.stderr);
        if (!wall || !peak || !user || !system)
          throw new Error(`no figures from /usr/bin/time: ${result.stderr}`);
        seconds.push(Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]));
        rss.push(Number(peak[1]) / 1024);
        cpu.push(Number(user[1]) + Number(system[1]));
      }
      console.log(
        `${format}: median ${median(seconds).toFixed(2)} s wall, ${median(cpu).toFixed(2)} s CPU, peak RSS ${median(rss).toFixed(0)} MiB ` +
          `(runs: ${seconds.map((s) => s.toFixed(2)).join(' ')} s)`,
      );
    }
  } finally {
    rmSync(out, { force: true });
  }
}

const [verb, dir, ...rest] = process.argv.slice(2);
if (verb === 'record' && dir !== undefined) {
  await record(dir, Number(option(rest, '--datagrams', '25000')), option(rest, '--rate', '4000'));
} else if (verb === 'time' && dir !== undefined) {
  time(
    dir,
    Number(option(rest, '--runs', '3')),
    option(rest, '--formats', 'mermaid,svg,html').split(','),
  );
} else {
  console.error(
    'usage: trace-view.js record DIR [--datagrams N] | time DIR [--runs N] [--formats F,...]',
  );
  process.exitCode = 2;
}
