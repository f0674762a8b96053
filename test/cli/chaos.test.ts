import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SequenceSummary } from '../../src/apps/sequence-tracker.js';
import { runSink } from '../../src/apps/sink.js';
import { DatagramSocket } from '../../src/index.js';
import { FaultPlan } from '../../src/chaos/fault-plan.js';
import { within } from '../helpers/bounded.js';
import { dsock, type LineChild } from '../helpers/child.js';
import { EventLog } from '../helpers/event-log.js';

describe('dsock chaos udp', () => {
  it('relays a stream into a sink, losing and duplicating as asked, and prints its counts', async () => {
    const children: LineChild[] = [];
    // The sink is this process: it is up before the relay and the streamer start, and it is
    // stopped once it has counted every datagram the relay says it forwarded, not by a timer.
    const sinkSocket = await DatagramSocket.bind('127.0.0.1:0', {
      kernelReceiveBufferSize: 4 << 20,
    });
    const stop = new AbortController();
    const progress = new EventLog<SequenceSummary>();
    const counting = runSink(sinkSocket, { signal: stop.signal, onProgress: progress.push });
    try {
      const relay = dsock([
        'chaos',
        'udp',
        0,
        `127.0.0.1:${sinkSocket.localEndpoint.port}`,
        '--loss',
        0.3,
        '--dup',
        0.2,
        '--seed',
        11,
      ]);
      children.push(relay);
      const relayPort = Number(
        (await relay.stderrMatch(/relaying 127\.0\.0\.1:(\d+) -> .* \(seed 11\)$/))[1],
      );
      const streamer = dsock(['stream', 'udp', 500, `127.0.0.1:${relayPort}`, '--rate', 5000]);
      children.push(streamer);
      assert.equal(await streamer.exitCode(), 0);

      // The relay's faults are those of its seeded plan, datagram by datagram: the test knows
      // what the sink must count, and waits for that instead of a quiet time.
      const plan = new FaultPlan({ loss: 0.3, dup: 0.2, seed: 11 });
      const fates = Array.from({ length: 500 }, () => plan.decide());
      const forwarded = fates.reduce((n, fate) => n + fate.deliveries.length, 0);
      const dropped = fates.filter((fate) => fate.dropped).length;
      const duplicated = fates.filter((fate) => fate.duplicated).length;
      // Drops after the last datagram forwarded may still be unread when the relay stops.
      const lastForwarded = fates.findLastIndex((fate) => !fate.dropped);
      const trailingDrops = fates.length - 1 - lastForwarded;
      await progress.until(
        (p) => p.received === forwarded,
        `the sink to count the ${forwarded} datagrams the relay forwards`,
      );
      stop.abort();
      const summary = await within(counting, 5000, 'the sink to end');
      assert.equal(summary.received, forwarded);
      assert.equal(summary.duplicated, duplicated);
      assert.ok(summary.lost > 50 && summary.lost < 250, `lost ${summary.lost}`);
      assert.ok(summary.duplicated > 20, `duplicated ${summary.duplicated}`);
      assert.equal(summary.received, summary.distinct + summary.duplicated);

      relay.process.kill('SIGINT');
      assert.equal(await relay.exitCode(), 0);
      const toTarget = relay.stdoutLines.find((l) => l.startsWith('to target:')) ?? '';
      const counts = /forwarded (\d+), dropped (\d+), duplicated (\d+), reordered (\d+)/.exec(
        toTarget,
      );
      assert.ok(counts, toTarget);
      assert.equal(Number(counts[1]), forwarded, 'the sink got what the relay forwarded');
      assert.equal(Number(counts[3]), duplicated);
      assert.equal(Number(counts[4]), 0);
      const relayDropped = Number(counts[2]);
      assert.ok(
        relayDropped <= dropped && relayDropped >= dropped - trailingDrops,
        `dropped ${relayDropped} of the plan's ${dropped}`,
      );
    } finally {
      stop.abort();
      await Promise.all(children.map((c) => c.close()));
      await sinkSocket.close();
    }
  });

  it('refuses a probability out of range', async () => {
    const relay = dsock(['chaos', 'udp', 0, '127.0.0.1:9', '--loss', 2]);
    try {
      assert.equal(await relay.exitCode(), 2);
      assert.match(relay.stderr, /invalid --loss "2": expected a number from 0 to 1/);
    } finally {
      await relay.close();
    }
  });
});
