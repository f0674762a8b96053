import { formatEndpoint } from '../../endpoint/format.js';
import { ChaosRelay } from '../../chaos/chaos-relay.js';
import {
  DEFAULT_MAX_DELAYED_BYTES,
  DEFAULT_MAX_DELAYED_DATAGRAMS,
} from '../../chaos/relay-options.js';
import type { RelayStats } from '../../chaos/relay-stats.js';
import type { Command } from '../command.js';
import {
  endpointArgument,
  numberOption,
  parseCommandLine,
  portArgument,
  stringOption,
  noArgumentsAfter,
} from '../args.js';
import { status, terminationSignal } from '../terminal.js';

/** The longest --delay and --jitter, in milliseconds: a minute. */
const MAX_DELAY_MS = 60_000;
/** The largest --max-delayed and --max-delayed-bytes. */
const MAX_DELAYED_DATAGRAMS = 1 << 24;
const MAX_DELAYED_BYTES = 2 ** 32;

function probability(value: string | boolean | undefined, name: string): number | undefined {
  return numberOption(value, name, { min: 0, max: 1 });
}

function milliseconds(value: string | boolean | undefined, name: string): number | undefined {
  return numberOption(value, name, { min: 0, max: MAX_DELAY_MS, unit: 'milliseconds' });
}

/** The relay's counts, one `key: value` a line, per direction and in total. */
export function formatRelayStats(stats: RelayStats): string {
  const lines: string[] = [];
  for (const [label, counts] of [
    ['to target', stats.toTarget],
    ['to clients', stats.toClient],
    ['total', stats.total],
  ] as const) {
    lines.push(
      `${label}: forwarded ${counts.forwarded}, dropped ${counts.dropped}, ` +
        `duplicated ${counts.duplicated}, reordered ${counts.reordered}, ` +
        `overflowed ${counts.overflowed}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export const chaosUdpCommand: Command = {
  words: ['chaos', 'udp'],
  help: `Usage: dsock chaos udp PORT TARGET [--loss P] [--dup P] [--reorder P]
                      [--delay MS] [--jitter MS] [--seed S] [--host HOST]
                      [--max-delayed N] [--max-delayed-bytes B]

Relays datagrams that clients send to PORT on to TARGET (HOST:PORT), and TARGET's answers
back to each client, from one relay socket per client (like a NAT mapping). Each datagram,
in each direction, meets the faults asked for. Prints the counts on exit (Ctrl+C); datagrams
dropped because the relay already held its most for their delay count as "overflowed".

Options:
  --loss P       drop a datagram with probability P (0..1)
  --dup P        deliver a datagram twice with probability P
  --reorder P    hold a datagram back behind later ones with probability P
  --delay MS     delay every datagram by MS milliseconds (at most ${MAX_DELAY_MS})
  --jitter MS    add a random delay of up to MS milliseconds (at most ${MAX_DELAY_MS})
  --seed S       seed of the random choices, to repeat a run exactly
  --host HOST    the local address to listen on (default 127.0.0.1)
  --max-delayed N          hold at most N datagrams for their delay (default ${DEFAULT_MAX_DELAYED_DATAGRAMS})
  --max-delayed-bytes B    hold at most B bytes for their delay (default ${DEFAULT_MAX_DELAYED_BYTES})

Example:
  dsock chaos udp 9001 127.0.0.1:9000 --loss 0.2 --dup 0.1 --reorder 0.1 --seed 7
  dsock stream udp 1000 127.0.0.1:9001
`,
  async run(args) {
    const { values, positionals } = parseCommandLine(args, {
      loss: { type: 'string' },
      dup: { type: 'string' },
      reorder: { type: 'string' },
      delay: { type: 'string' },
      jitter: { type: 'string' },
      seed: { type: 'string' },
      host: { type: 'string' },
      'max-delayed': { type: 'string' },
      'max-delayed-bytes': { type: 'string' },
    });
    const port = portArgument(positionals[0]);
    const target = endpointArgument(positionals[1], 'TARGET');
    noArgumentsAfter(positionals, 2);
    const faults = {
      loss: probability(values.loss, 'loss'),
      dup: probability(values.dup, 'dup'),
      reorder: probability(values.reorder, 'reorder'),
      delay: milliseconds(values.delay, 'delay'),
      jitter: milliseconds(values.jitter, 'jitter'),
      seed: numberOption(values.seed, 'seed', { min: 0, max: 2 ** 32 - 1, integer: true }),
    };
    const relay = await ChaosRelay.start({
      listen: { host: stringOption(values.host) ?? '127.0.0.1', port },
      target,
      faults,
      maxDelayedDatagrams: numberOption(values['max-delayed'], 'max-delayed', {
        min: 1,
        max: MAX_DELAYED_DATAGRAMS,
        integer: true,
      }),
      maxDelayedBytes: numberOption(values['max-delayed-bytes'], 'max-delayed-bytes', {
        min: 1,
        max: MAX_DELAYED_BYTES,
        integer: true,
      }),
    });
    const termination = terminationSignal();
    try {
      const { toTarget } = relay.seeds;
      status(
        `# relaying ${formatEndpoint(relay.localEndpoint)} -> ${formatEndpoint(relay.target)} (seed ${toTarget})`,
      );
      await new Promise<void>((resolve) =>
        termination.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      process.stdout.write(formatRelayStats(relay.stats));
      return 0;
    } finally {
      termination.dispose();
      await relay.close();
    }
  },
};
