/**
 * Goodput of reliable datagrams through a lossy relay, side by side with uTP and plain UDP
 * through the same relay: MB/s of payload delivered to the receiving application, 1 KiB
 * messages, the same loss in both directions.
 *
 *   reliable: ReliableDatagramSocket.sendTo for every message (the socket queues them and
 *             paces them by its windows), the receiver reads until it has every message;
 *             time = first send to last message read
 *   uTP:      utp-native (libutp): the same messages written to one connection (in order, with
 *             the stream's back-pressure), its client connected to the relay; time = connect to
 *             the last byte read by the server's stream (bench/utp-contender.ts)
 *   udp:      DatagramSocket.sendTo for every message, awaiting each send and letting the event
 *             loop turn every 16 sends (or the relay and receiver would starve); the receiver reads
 *             whatever arrives (the relay's losses are losses); time = first send to last
 *             datagram read (the run ends 300 ms after the last arrival)
 *
 * A reliable or uTP run that has not delivered everything within the cap ends there and counts
 * what arrived over the whole cap (a connection that failed earlier counts the same way: its
 * user got nothing more in that time).
 *
 * Relay, senders and receivers share one process, so each side also pays for the relay.
 * Each round runs every contender once, the order reversed every other round; the table gives
 * the median of the rounds and their min–max, ratios taken per round.
 *
 * Run: npx tsc -p tsconfig.json && node build/bench/reliable-goodput.js [messages] [rounds] [cap s]
 */
import { loadavg } from 'node:os';
import { ChaosRelay, DatagramSocket, ReliableDatagramSocket } from '../src/index.js';
import { summarize, type Summary } from './lib/stats.js';
import { loadUtp, type Utp, utpRun } from './utp-contender.js';

const MESSAGE_SIZE = 1024;
const LOSSES = [0, 0.01, 0.05, 0.2];
/** Plain UDP datagrams sent between turns of the event loop. */
const BURST = 16;

type Contender = 'reliable' | 'utp' | 'udp';

interface Result {
  seconds: number;
  delivered: number;
  failure?: string;
}

async function reliableRun(
  messages: number,
  loss: number,
  seed: number,
  capMs: number,
): Promise<Result> {
  const receiver = await ReliableDatagramSocket.bind('127.0.0.1:0');
  const relay = await ChaosRelay.start({ target: receiver.localEndpoint, faults: { loss, seed } });
  const sender = await ReliableDatagramSocket.bind('127.0.0.1:0');
  const payload = Buffer.alloc(MESSAGE_SIZE, 0x61);
  const to = relay.localEndpoint;
  let capped = false;
  // Closing the receiver ends the reads at the cap without a timer per read.
  const cap = setTimeout(() => {
    capped = true;
    void receiver.close({ timeout: 0 });
  }, capMs);
  const started = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < messages; i++) sends.push(sender.sendTo(payload, to));
  const sent = Promise.all(sends);
  // Awaited below, or abandoned at the cap when closing rejects what was not acknowledged.
  sent.catch(() => {});
  try {
    let delivered = 0;
    try {
      for (let i = 0; i < messages; i++) delivered += (await receiver.recvFrom()).data.length;
    } catch (error) {
      if (!capped) throw error;
    }
    if (capped) return { seconds: capMs / 1000, delivered };
    const seconds = (performance.now() - started) / 1000;
    await sent;
    return { seconds, delivered };
  } finally {
    clearTimeout(cap);
    await sender.close({ timeout: 0 });
    await receiver.close({ timeout: 0 });
    await relay.close();
  }
}

async function udpRun(messages: number, loss: number, seed: number): Promise<Result> {
  const receiver = await DatagramSocket.bind('127.0.0.1:0', { recvBufferSize: 1 << 20 });
  const relay = await ChaosRelay.start({ target: receiver.localEndpoint, faults: { loss, seed } });
  const sender = await DatagramSocket.bind('127.0.0.1:0', { sendBufferSize: 1 << 20 });
  const payload = Buffer.alloc(MESSAGE_SIZE, 0x61);
  const to = relay.localEndpoint;
  try {
    const started = performance.now();
    let delivered = 0;
    let last = started;
    const receiving = (async () => {
      for (;;) {
        try {
          delivered += (await receiver.recvFrom(65536, { timeout: 300 })).data.length;
          last = performance.now();
        } catch {
          return;
        }
      }
    })();
    for (let i = 0; i < messages; i++) {
      await sender.sendTo(payload, to);
      // Let the relay and the receiver run: without it the sender alone fills every buffer.
      if (i % BURST === BURST - 1) await new Promise((resolve) => setImmediate(resolve));
    }
    await receiving;
    return { seconds: (last - started) / 1000, delivered };
  } finally {
    await sender.close();
    await receiver.close();
    await relay.close();
  }
}

/** The rounds of one contender at one loss rate. */
class Series {
  readonly rates: number[] = [];
  readonly shares: number[] = [];
  readonly failures: string[] = [];

  add(result: Result, expected: number): void {
    this.rates.push(result.delivered / result.seconds / 1e6);
    this.shares.push(result.delivered / expected);
    if (result.failure !== undefined) this.failures.push(result.failure);
  }
}

function fixed(value: number, digits: number): string {
  if (value === Infinity) return '∞';
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function spread(summary: Summary, digits: number): string {
  return `${fixed(summary.median, digits)} (${fixed(summary.min, digits)}–${fixed(summary.max, digits)})`;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** MB/s of a series; with the delivered share when a run fell short, and any failures. */
function rateCell(series: Series, capSeconds: number): string {
  const cell = spread(summarize(series.rates), 2);
  const shares = summarize(series.shares);
  if (shares.min >= 1) return cell;
  const failed = series.failures.length > 0 ? `; ${series.failures.join(', ')}` : '';
  return `${cell}, delivered ${percent(shares.median)} in ≤ ${capSeconds} s${failed}`;
}

/** Ratios a/b taken round by round. */
function ratios(a: Series, b: Series): Summary {
  return summarize(a.rates.map((rate, i) => rate / (b.rates[i] as number)));
}

async function main(): Promise<void> {
  const messages = Number(process.argv[2] ?? 20_000);
  const rounds = Number(process.argv[3] ?? 3);
  const capSeconds = Number(process.argv[4] ?? 20);
  const capMs = capSeconds * 1000;
  const expected = messages * MESSAGE_SIZE;
  const utp: Utp | string = await loadUtp();
  const contenders: Contender[] =
    typeof utp === 'string' ? ['reliable', 'udp'] : ['reliable', 'utp', 'udp'];

  console.log(
    `${messages} messages of ${MESSAGE_SIZE} B per run, ${rounds} rounds, cap ${capSeconds} s ` +
      `per reliable or uTP run; Node ${process.version}, load average ` +
      `${loadavg()
        .map((load) => load.toFixed(2))
        .join(' ')} at the start`,
  );
  if (typeof utp === 'string') console.log(`uTP column skipped: ${utp}`);
  console.log();

  const rows: string[] = [];
  const goals: string[] = [];
  for (const loss of LOSSES) {
    const series = { reliable: new Series(), utp: new Series(), udp: new Series() };
    for (let round = 0; round < rounds; round++) {
      const seed = 100 + round;
      const order = round % 2 === 0 ? contenders : [...contenders].reverse();
      for (const contender of order) {
        let result: Result;
        if (contender === 'reliable') result = await reliableRun(messages, loss, seed, capMs);
        else if (contender === 'udp') result = await udpRun(messages, loss, seed);
        else {
          result = await utpRun(utp as Utp, {
            messages,
            messageSize: MESSAGE_SIZE,
            loss,
            seed,
            capMs,
          });
        }
        series[contender].add(result, expected);
        console.error(
          `loss ${percent(loss)} round ${round + 1} ${contender}: ` +
            `${fixed(result.delivered / result.seconds / 1e6, 2)} MB/s, ` +
            `${percent(result.delivered / expected)} in ${result.seconds.toFixed(2)} s` +
            (result.failure === undefined ? '' : ` (${result.failure})`),
        );
      }
    }
    const hasUtp = typeof utp !== 'string';
    const udpCell = `${spread(summarize(series.udp.rates), 2)} (${percent(summarize(series.udp.shares).median)})`;
    const cells = [
      `${(loss * 100).toFixed(0)}%`,
      rateCell(series.reliable, capSeconds),
      ...(hasUtp ? [rateCell(series.utp, capSeconds)] : []),
      udpCell,
      ...(hasUtp ? [spread(ratios(series.reliable, series.utp), 2)] : []),
      spread(ratios(series.reliable, series.udp), 2),
    ];
    rows.push(`| ${cells.join(' | ')} |`);
    if (loss === 0.05 && hasUtp) {
      const ratio = ratios(series.reliable, series.utp).median;
      goals.push(`5% loss, reliable ≥ uTP: ${ratio >= 1 ? 'met' : 'MISSED'} (${fixed(ratio, 2)}×)`);
    }
    if (loss === 0) {
      const ratio = ratios(series.reliable, series.udp).median;
      goals.push(
        `0% loss, reliable ≥ 0.5 × UDP: ${ratio >= 0.5 ? 'met' : 'MISSED'} (${fixed(ratio, 2)}×)`,
      );
    }
  }

  const header =
    typeof utp === 'string'
      ? ['loss', 'dsock reliable MB/s', 'plain UDP MB/s (delivered %)', 'reliable/UDP']
      : [
          'loss',
          'dsock reliable MB/s',
          'uTP MB/s',
          'plain UDP MB/s (delivered %)',
          'reliable/uTP',
          'reliable/UDP',
        ];
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(row);
  console.log();
  console.log('Median of the rounds (min–max). Goals:');
  for (const goal of goals) console.log(`- ${goal}`);
}

await main();
