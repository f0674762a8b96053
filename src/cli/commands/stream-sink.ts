import { setTimeout as sleep } from 'node:timers/promises';
import { resolvePeers } from '../../apps/resolve.js';
import { formatSequenceSummary, type SequenceSummary } from '../../apps/sequence-tracker.js';
import { runSink } from '../../apps/sink.js';
import { streamNumbers } from '../../apps/streamer.js';
import { formatEndpoint } from '../../endpoint/format.js';
import { ReliableDatagramSocket } from '../../reliable/reliable-socket.js';
import type { MessageTransport } from '../../apps/transport.js';
import { SealedDatagramSocket } from '../../apps/sealed-datagram.js';
import type { Command } from '../command.js';
import {
  endpointArgument,
  numberOption,
  parseCommandLine,
  portArgument,
  stringOption,
  noArgumentsAfter,
} from '../args.js';
import { ProgressLine, type ProgressSample } from '../progress.js';
import { status, terminationSignal } from '../terminal.js';
import {
  bindTransport,
  RELIABLE_HELP,
  RELIABLE_OPTION,
  reliableChoice,
  type CommandTransport,
} from '../transport.js';
import { PSK_HELP, PSK_OPTION, pskOption } from '../secure-options.js';
import { UsageError } from '../usage-error.js';

/** Kernel receive buffer asked for by the sink, so that bursts are absorbed, not dropped. */
const SINK_RECEIVE_BUFFER = 4 << 20;

/** The largest COUNT of the streamer and --expect of the sink: a billion messages. */
const MAX_COUNT = 1_000_000_000;
/** The fastest --rate: ten million messages a second, beyond any loopback. */
const MAX_RATE = 10_000_000;
/** The longest --idle-timeout of the sink, in seconds: a day. */
const MAX_IDLE_SECONDS = 86_400;
/** The exit status after SIGINT or SIGTERM, as a shell reports a command ended by Ctrl+C. */
const INTERRUPTED = 130;

export const streamUdpCommand: Command = {
  words: ['stream', 'udp'],
  help: `Usage: dsock stream udp COUNT PEER... [--rate R] [--reliable [--peer-timeout S]]
                       [--psk FILE]

Sends COUNT chat messages (at most ${MAX_COUNT}) with text "Number i" (i from 0) from sender
"Streamer" to every PEER, as fast as possible or at R messages per second, then exits. With
--reliable it exits 0 once every message is acknowledged, and 1 if a peer stopped answering.
Ctrl+C (or SIGTERM) stops it at once: it prints "sent N of COUNT" and exits 130. On a
terminal, a line on stderr shows the progress (messages sent, or acknowledged with --reliable,
the rate, and retransmissions), rewritten in place.

Options:
  --rate R       messages per second (at most ${MAX_RATE})
${RELIABLE_HELP}
${PSK_HELP}

Example:
  dsock stream udp 10000 127.0.0.1:9000
  dsock stream udp 100 127.0.0.1:9000 127.0.0.1:9001 --rate 50
`,
  async run(args) {
    const { values, positionals } = parseCommandLine(args, {
      rate: { type: 'string' },
      ...RELIABLE_OPTION,
      ...PSK_OPTION,
    });
    const psk = pskOption(values);
    const [countText, ...peerTexts] = positionals;
    if (countText === undefined) throw new UsageError('missing COUNT');
    const count = numberOption(countText, 'COUNT', { min: 0, max: MAX_COUNT, integer: true }) ?? 0;
    if (peerTexts.length === 0) throw new UsageError('missing PEER (HOST:PORT)');
    const peers = peerTexts.map((text) => endpointArgument(text, 'PEER'));
    const rate = numberOption(values.rate, 'rate', { min: 0.001, max: MAX_RATE });
    const family = peers.every((p) => p.host.includes(':')) ? 'IPv6' : 'IPv4';
    if (peers.some((p) => p.host.includes(':') !== (family === 'IPv6'))) {
      throw new UsageError('the PEERs must all be IPv4 or all IPv6 (one socket sends to them all)');
    }
    const socket = await bindTransport(undefined, reliableChoice(values), { family }, psk);
    // Interrupted is a failure (130, as a shell reports SIGINT), also when the exit is forced.
    const termination = terminationSignal({ exitStatus: 130 });
    const { signal } = termination;
    const counting = countedSends(socket);
    const progress = new ProgressLine(() => streamProgress(socket, counting.done, peers.length), {
      noun: socket instanceof ReliableDatagramSocket ? 'acknowledged' : 'sent',
    });
    try {
      const resolved = await resolvePeers(peers, family);
      progress.start();
      const sent = await streamNumbers(counting.transport, {
        count,
        peers: resolved,
        rate,
        signal,
      }).finally(() => progress.finish());
      const to = peers.map(formatEndpoint).join(', ');
      status(
        `# sent ${sent} of ${count} messages to ${to}${signal.aborted ? ' (interrupted)' : ''}`,
      );
      return signal.aborted ? INTERRUPTED : 0;
    } finally {
      termination.dispose();
      // Interrupted, a reliable socket does not wait for acknowledgements: the user asked to stop.
      if (signal.aborted && socket instanceof ReliableDatagramSocket) {
        await socket.close({ timeout: 0 });
      } else await socket.close();
    }
  },
};

export const sinkUdpCommand: Command = {
  words: ['sink', 'udp'],
  help: `Usage: dsock sink udp PORT [--expect N] [--idle-timeout S] [--host HOST] [--reliable]
                     [--psk FILE]

Binds PORT and counts the streamer's "Number i" messages. Waits for the first one without
limit; ends after N distinct messages, after S seconds without one (counted from the last), or
on Ctrl+C, and prints on stdout, one "key: value" a line:
  received       messages that arrived
  distinct       different numbers among them
  lost           numbers missing below the highest seen (below N with --expect)
  duplicated     arrivals of a number already seen
  out of order   arrivals after a higher number
Exits 1 when messages below N were lost (--expect), else 0. On a terminal, a line on stderr
shows the counts and the rate while messages arrive, rewritten in place.

Options:
  --expect N         end after N distinct messages (at most ${MAX_COUNT}); numbers below N
                     never seen are lost
  --idle-timeout S   end S seconds after the last message (default 5, at most ${MAX_IDLE_SECONDS})
  --host HOST        the local address to bind (default 0.0.0.0)
  --reliable         speak dsock's reliable datagram protocol (the streamer must too); the sink
                     then ends only once the streamer has closed (or after a grace period), so
                     that its last messages are acknowledged
  --psk FILE         open only datagrams sealed with the pre-shared key in FILE (the
                     streamer's --psk); others are dropped and counted

Example:
  dsock sink udp 9000 --expect 10000
  dsock sink udp 9000 --idle-timeout 2
`,
  async run(args) {
    const { values, positionals } = parseCommandLine(args, {
      expect: { type: 'string' },
      'idle-timeout': { type: 'string' },
      host: { type: 'string' },
      // Without --peer-timeout: the sink sends nothing that a streamer must acknowledge.
      reliable: RELIABLE_OPTION.reliable,
      ...PSK_OPTION,
    });
    const port = portArgument(positionals[0]);
    const psk = pskOption(values);
    noArgumentsAfter(positionals, 1);
    const expect = numberOption(values.expect, 'expect', { min: 0, max: MAX_COUNT, integer: true });
    const idle =
      numberOption(values['idle-timeout'], 'idle-timeout', {
        min: 0.001,
        max: MAX_IDLE_SECONDS,
        unit: 'seconds',
      }) ?? 5;
    const socket = await bindTransport(
      { host: stringOption(values.host) ?? '0.0.0.0', port },
      reliableChoice(values),
      // Many small messages may wait while the sink counts; the bytes they hold stay bounded
      // by as much as the kernel buffer (a flood of large datagrams is dropped past it).
      {
        kernelReceiveBufferSize: SINK_RECEIVE_BUFFER,
        receiveQueueLimit: 16384,
        receiveQueueBytes: SINK_RECEIVE_BUFFER,
      },
      psk,
    );
    const termination = terminationSignal();
    let latest: SequenceSummary | undefined;
    const progress = new ProgressLine(
      () =>
        latest && {
          count: latest.received,
          detail: `distinct ${latest.distinct}, missing ${latest.lost}`,
        },
      { noun: 'received' },
    );
    try {
      status(`# listening on ${formatEndpoint(socket.localEndpoint)}`);
      progress.start();
      const summary = await runSink(socket, {
        expect,
        idleTimeout: idle * 1000,
        signal: termination.signal,
        onProgress: (counts) => (latest = counts),
      }).finally(() => progress.finish());
      if (socket instanceof ReliableDatagramSocket) {
        await sendersClosed(socket, Math.min(idle * 1000, SENDER_GRACE_PERIOD), termination.signal);
      }
      process.stdout.write(formatSequenceSummary(summary));
      reportDropped(socket);
      if (expect !== undefined && summary.lost > 0) {
        status(`dsock sink udp: ${summary.lost} of the ${expect} messages expected never came`);
        return 1;
      }
      return 0;
    } finally {
      termination.dispose();
      await socket.close();
    }
  },
};

/** The longest a reliable sink waits for its senders to close after it has counted enough. */
const SENDER_GRACE_PERIOD = 5000;

/**
 * Resolves once no sender has a flow open to `socket` (each has sent FIN and had everything
 * acknowledged), or after `grace` ms, or on `signal`: a sender's last retransmissions are thus
 * answered before the sink closes.
 */
async function sendersClosed(
  socket: ReliableDatagramSocket,
  grace: number,
  signal: AbortSignal,
): Promise<void> {
  const deadline = performance.now() + grace;
  // The socket has no event for a flow's end; its peer count is checked every few ms instead.
  while (socket.peerCount > 0 && performance.now() < deadline && !signal.aborted) {
    await sleep(10, undefined, { signal }).catch(() => undefined);
  }
}

/**
 * `socket` as the streamer sees it, counting the sends that completed (handed to the kernel,
 * or acknowledged by the peer over reliable datagrams), for the progress line.
 */
function countedSends(socket: CommandTransport): {
  transport: MessageTransport;
  done: () => number;
} {
  let done = 0;
  const transport: MessageTransport = {
    get localEndpoint() {
      return socket.localEndpoint;
    },
    get maxMessageSize() {
      return socket.maxMessageSize;
    },
    sendTo: (data, to) =>
      socket.sendTo(data, to).then((result) => {
        done++;
        return result;
      }),
    recvFrom: (bufsize, options) => socket.recvFrom(bufsize, options),
    close: () => socket.close(),
  };
  return { transport, done: () => done };
}

/** The streamer's progress: messages done (to every peer), and retransmissions if reliable. */
function streamProgress(
  socket: CommandTransport,
  done: () => number,
  peers: number,
): ProgressSample {
  const count = Math.floor(done() / peers);
  if (!(socket instanceof ReliableDatagramSocket)) return { count };
  const { timeoutRetransmissions, fastRetransmissions } = socket.stats;
  return { count, detail: `retransmitted ${timeoutRetransmissions + fastRetransmissions}` };
}

/** With --psk, says on stderr how many datagrams were dropped, and why. */
function reportDropped(socket: CommandTransport): void {
  const stats =
    socket instanceof ReliableDatagramSocket
      ? socket.pskStats
      : socket instanceof SealedDatagramSocket
        ? socket.stats
        : undefined;
  if (stats === undefined) return;
  const dropped = stats.forged + stats.replayed + stats.malformed + stats.reflected;
  if (dropped === 0) return;
  status(
    `# dropped ${dropped} datagrams: ${stats.forged} did not authenticate (another key, or ` +
      `changed on the way), ${stats.replayed} replayed, ${stats.malformed} not sealed`,
  );
}
