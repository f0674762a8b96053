/**
 * Sealing and opening alone, under a pre-shared key: operations per second of
 * `PskSealer.seal` and of `PskSealer.open` (one sender to one receiver, in order) for payloads
 * of a reliable DATA segment's size and of an acknowledgement's, without sockets.
 *
 * Time is the thread's CPU time (bench/lib/thread-cpu.ts), which a shared machine disturbs far
 * less than elapsed time. Given paths of built sealer modules (build/src/psk/sealer.js of two checkouts), it measures
 * each in the same process, alternating them round by round, so that a before/after comparison
 * sees the same machine load; the table gives the median of the rounds and their min–max.
 *
 * Run: npx tsc -p tsconfig.json && node build/bench/psk-seal.js [rounds] [sealer.js ...]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { summarize } from './lib/stats.js';
import { CPU_TIME_SOURCE, threadCpuMeter } from './lib/thread-cpu.js';

interface Sealer {
  seal(payload: Uint8Array): Buffer;
  open(datagram: Uint8Array): Buffer | undefined;
  readonly stats: { opened: number };
}

type SealerClass = new (psk: string) => Sealer;

/** A DATA segment of a 1 KiB message (its header included) and an acknowledgement. */
const SIZES = [1045, 25];
/** Datagrams per measured batch: more than the replay window, so windows move as in a run. */
const BATCH = 2048;
/** Elapsed time one measurement gives each sealer. */
const MEASURE_MS = 400;
const PSK = 'a5'.repeat(32);

async function load(path: string): Promise<SealerClass> {
  const module = (await import(pathToFileURL(resolve(path)).href)) as { PskSealer: SealerClass };
  return module.PskSealer;
}

/** One sealer's pair of sockets' ends, and the time it spent. */
class Subject {
  readonly sender: Sealer;
  readonly receiver: Sealer;
  sealMs = 0;
  openMs = 0;
  count = 0;

  constructor(Sealer: SealerClass) {
    this.sender = new Sealer(PSK);
    this.receiver = new Sealer(PSK);
  }

  /** Seals a batch of `payload` (timed), then opens it (timed). */
  batch(payload: Buffer): void {
    const sealed: Buffer[] = [];
    let cpu = threadCpuMeter();
    for (let i = 0; i < BATCH; i++) sealed.push(this.sender.seal(payload));
    this.sealMs += cpu();
    cpu = threadCpuMeter();
    for (const datagram of sealed) {
      if (this.receiver.open(datagram)?.length !== payload.length) {
        throw new Error('a datagram did not open');
      }
    }
    this.openMs += cpu();
    this.count += BATCH;
  }
}

/**
 * Seals and opens per second of `size`-byte payloads for every sealer, their batches
 * interleaved so that a change of the machine's load falls on all of them alike.
 */
function measure(sealers: SealerClass[], size: number): { seal: number; open: number }[] {
  const subjects = sealers.map((Sealer) => new Subject(Sealer));
  const payload = Buffer.alloc(size, 0x61);
  const started = performance.now();
  while (performance.now() - started < MEASURE_MS * subjects.length) {
    for (const subject of subjects) subject.batch(payload);
  }
  return subjects.map((subject) => {
    if (subject.receiver.stats.opened !== subject.count) {
      throw new Error('the receiver counted another figure');
    }
    return {
      seal: subject.count / (subject.sealMs / 1000),
      open: subject.count / (subject.openMs / 1000),
    };
  });
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 7);
  const paths = process.argv.slice(3);
  if (paths.length === 0) paths.push(new URL('../src/psk/sealer.js', import.meta.url).pathname);
  const sealers = await Promise.all(paths.map(load));
  const rates = new Map<string, number[]>();
  const add = (key: string, rate: number): void => {
    rates.set(key, [...(rates.get(key) ?? []), rate]);
  };
  for (let round = 0; round < rounds; round++) {
    const order = sealers.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const size of SIZES) {
      const figures = measure(
        order.map((i) => sealers[i] as SealerClass),
        size,
      );
      for (const [k, i] of order.entries()) {
        const figure = figures[k] as { seal: number; open: number };
        const first = figures[order.indexOf(0)] as { seal: number; open: number };
        add(`${i} seal ${size}`, figure.seal);
        add(`${i} open ${size}`, figure.open);
        add(`${i} seal ${size} ratio`, figure.seal / first.seal);
        add(`${i} open ${size} ratio`, figure.open / first.open);
      }
    }
  }
  console.log(
    `${rounds} rounds, ${MEASURE_MS} ms per sealer and figure, batches of ${BATCH} interleaved, ` +
      `ops per second of the thread's CPU time (${CPU_TIME_SOURCE}); ` +
      `Node ${process.version}`,
  );
  console.log();
  console.log('| sealer | operation | payload B | ops/s median (min–max) | ratio to the first |');
  console.log('|---|---|--:|--:|--:|');
  const k = (value: number): string => `${Math.round(value / 1000)}k`;
  for (const [i, path] of paths.entries()) {
    for (const operation of ['seal', 'open']) {
      for (const size of SIZES) {
        const summary = summarize(rates.get(`${i} ${operation} ${size}`) ?? []);
        const ratio = summarize(rates.get(`${i} ${operation} ${size} ratio`) ?? []);
        console.log(
          `| ${path} | ${operation} | ${size} | ${k(summary.median)} (${k(summary.min)}–${k(summary.max)}) ` +
            `| ${ratio.median.toFixed(3)} (${ratio.min.toFixed(3)}–${ratio.max.toFixed(3)}) |`,
        );
      }
    }
  }
}

await main();
