/**
 * What tracing costs: udp-rate and tcp-echo, as the benchmark's scenarios measure them but in
 * one small loop each, with dsock's code without its trace publish points (before), with them
 * and nobody subscribed (off), with a no-op subscriber (subscribed) and with a TraceRecorder
 * writing a file (recorded). Each round runs every variant in a fresh process, in turn, so that
 * load on a shared machine falls on all of them; each variant's figure is divided by the
 * before variant's of the same round, and the ratios' median (min-max) is printed.
 *
 * "before" is by default this very build with every publish point taken out: each guard
 * `channel.hasSubscribers` becomes `false` in a copy of the compiled code (build/untraced/), so
 * the only difference left is the guards themselves. `--before DIST` measures another build
 * instead (the dist/ of an older checkout).
 *
 *   npx tsc -p tsconfig.json
 *   node build/bench/trace-overhead.js [--rounds 9] [--before DIST]
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as DsockModule from '../src/index.js';

type Dsock = typeof DsockModule;

const DATAGRAMS = 100_000;
const ROUND_TRIPS = 10_000;
const PAYLOAD = 64;

type Variant = 'before' | 'off' | 'subscribed' | 'recorded';
interface Result {
  udpRate: number;
  received: number;
  tcpEcho: number;
  events: number;
}

async function measure(dist: string, variant: Variant): Promise<Result> {
  // The same API before and after; the "before" build merely lacks the trace exports.
  const dsock = (await import(pathToFileURL(join(dist, 'index.js')).href)) as Dsock;
  let events = 0;
  let stop = (): void => undefined;
  const dir = mkdtempSync(join(tmpdir(), 'dsock-trace-bench-'));
  if (variant === 'subscribed') stop = dsock.subscribeTrace(() => events++);
  if (variant === 'recorded') {
    const recorder = dsock.TraceRecorder.open(join(dir, 'bench.jsonl'));
    stop = () => {
      events = recorder.events;
      recorder.close();
    };
  }
  try {
    const payload = Buffer.alloc(PAYLOAD, 7);
    // udp-rate: one socket sends as fast as it can (datagrams sent per s), another receives.
    const a = await dsock.DatagramSocket.bind('127.0.0.1:0');
    const b = await dsock.DatagramSocket.bind('127.0.0.1:0');
    let received = 0;
    const start = performance.now();
    const receiving = (async () => {
      for (;;) {
        try {
          await b.recvFrom(2048, { timeout: 200 });
          received++;
        } catch {
          return;
        }
      }
    })();
    for (let i = 0; i < DATAGRAMS; i++) {
      const sent = a.sendTo(payload, b.localEndpoint);
      if (i % 64 === 63) await sent;
    }
    const udpSeconds = (performance.now() - start) / 1000;
    await receiving;
    await a.close();
    await b.close();
    // tcp-echo: 64-byte round trips, the server echoing what it receives.
    const server = await dsock.StreamServer.listen('127.0.0.1:0');
    const serving = (async () => {
      const peer = await server.accept();
      for await (const chunk of peer) await peer.sendAll(chunk);
      await peer.close();
    })();
    const client = await dsock.StreamSocket.connect(server.localEndpoint);
    client.setNoDelay(true);
    const echoStart = performance.now();
    for (let i = 0; i < ROUND_TRIPS; i++) {
      await client.sendAll(payload);
      await client.recvExactly(PAYLOAD);
    }
    const echoSeconds = (performance.now() - echoStart) / 1000;
    await client.close();
    await serving.catch(() => undefined);
    await server.close();
    stop();
    return {
      udpRate: DATAGRAMS / udpSeconds,
      received,
      tcpEcho: ROUND_TRIPS / echoSeconds,
      events,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A copy of the compiled library at `from`, in `to`, with every trace publish point removed:
 * each `name.hasSubscribers` guard is replaced by `false`, which V8 folds away with the branch.
 * Returns how many guards were replaced (zero would mean the copy measures nothing).
 */
function untracedCopy(from: string, to: string): number {
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
  let replaced = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.js')) {
        const text = readFileSync(path, 'utf8');
        const stripped = text.replace(/\b[A-Za-z_$][\w$]*\.hasSubscribers\b/g, () => {
          replaced++;
          return 'false';
        });
        if (stripped !== text) writeFileSync(path, stripped);
      }
    }
  };
  walk(to);
  return replaced;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const child = args.indexOf('--child');
  if (child >= 0) {
    const result = await measure(args[child + 1] as string, args[child + 2] as Variant);
    process.stdout.write(JSON.stringify(result));
    return;
  }
  const rounds = args.includes('--rounds') ? Number(args[args.indexOf('--rounds') + 1]) : 5;
  const here = resolve(fileURLToPath(new URL('../src', import.meta.url)));
  let before: string;
  if (args.includes('--before')) {
    before = resolve(args[args.indexOf('--before') + 1] as string);
  } else {
    // Beside build/src, so that the native addon is found as it is from the build itself.
    before = resolve(here, '../untraced');
    const guards = untracedCopy(here, before);
    if (guards === 0) throw new Error(`no trace publish points found under ${here}`);
    process.stderr.write(`# before: ${before}, ${guards} publish points taken out\n`);
  }
  const variants: [Variant, string][] = [
    ['before', before],
    ['off', here],
    ['subscribed', here],
    ['recorded', here],
  ];
  const results = new Map<Variant, Result[]>(variants.map(([v]) => [v, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [variant, dist] of variants) {
      const out = execFileSync(
        process.execPath,
        [fileURLToPath(import.meta.url), '--child', dist, variant],
        {
          encoding: 'utf8',
          timeout: 300_000,
        },
      );
      results.get(variant)?.push(JSON.parse(out) as Result);
    }
    process.stderr.write(`# round ${round + 1} of ${rounds}\n`);
  }
  const base = results.get('before') ?? [];
  // Ratios within each round (the load of the moment falls on both), then their median.
  const ratios = (list: Result[], pick: (r: Result) => number): string => {
    const each = list.map((r, i) => pick(r) / pick(base[i] as Result));
    const pct = (x: number): string => `${((x - 1) * 100).toFixed(1)} %`;
    return `${pct(median(each))} (${pct(Math.min(...each))}..${pct(Math.max(...each))})`;
  };
  console.log(
    'variant      udp-rate: datagrams/s, change vs before      tcp-echo: round trips/s, change vs before      events',
  );
  for (const [variant] of variants) {
    const list = results.get(variant) ?? [];
    const udp = median(list.map((r) => r.udpRate));
    const tcp = median(list.map((r) => r.tcpEcho));
    console.log(
      `${variant.padEnd(12)} ${`${Math.round(udp)}  ${ratios(list, (r) => r.udpRate)}`.padEnd(44)} ` +
        `${`${Math.round(tcp)}  ${ratios(list, (r) => r.tcpEcho)}`.padEnd(46)} ` +
        `${median(list.map((r) => r.events))}`,
    );
  }
}

await main();
