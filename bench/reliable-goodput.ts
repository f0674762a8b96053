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
 *             the last byte read by the server's stream (bench/scenarios/reliable/utp.ts)
 *   udp:      DatagramSocket.sendTo for every message, awaiting each send and letting the event
 *             loop turn every 16 sends (or the relay and receiver would starve); the receiver reads
 *             whatever arrives (the relay's losses are losses); time = first send to last
 *             datagram read (the run ends 300 ms after the last arrival)
 *
 * A reliable or uTP run that has not delivered everything within the cap ends there and counts
 * what arrived over the whole cap (a connection that failed earlier counts the same way: its
 * user got nothing more in that time).
 *
 * The reliable and UDP runs are in bench/scenarios/reliable/runs.ts, shared with the suite's
 * scenario (bench/scenarios/reliable-goodput.ts).
 * Relay, senders and receivers share one process, so each side also pays for the relay.
 * Each round runs every contender once, the order reversed every other round; the table gives
 * the median of the rounds and their min–max, ratios taken per round.
 *
 * Run: npx tsc -p tsconfig.json && node build/bench/reliable-goodput.js [messages] [rounds] [cap s]
 */
import { loadavg } from 'node:os';
import { summarize, type Summary } from './lib/stats.js';
import { type GoodputResult as Result, reliableRun, udpRun } from './scenarios/reliable/runs.js';
import { loadUtp, type Utp, utpRun } from './scenarios/reliable/utp.js';

const MESSAGE_SIZE = 1024;
const LOSSES = [0, 0.01, 0.05, 0.2];

type Contender = 'reliable' | 'utp' | 'udp';

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
        const run = { messages, messageSize: MESSAGE_SIZE, loss, seed, capMs };
        let result: Result;
        if (contender === 'reliable') result = await reliableRun(run);
        else if (contender === 'udp') result = await udpRun(run);
        else result = await utpRun(utp as Utp, run);
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
