import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dsock, type LineChild } from '../helpers/child.js';

describe('dsock chaos udp', () => {
  it('relays a stream into a sink, losing and duplicating as asked, and prints its counts', async () => {
    const children: LineChild[] = [];
    try {
      const sink = dsock(['sink', 'udp', 0, '--idle-timeout', 1, '--host', '127.0.0.1']);
      children.push(sink);
      const sinkPort = Number((await sink.stderrMatch(/listening on .*:(\d+)$/))[1]);
      const relay = dsock([
        'chaos',
        'udp',
        0,
        `127.0.0.1:${sinkPort}`,
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
      assert.equal(await sink.exitCode(), 0);
      const summary = Object.fromEntries(
        sink.stdoutLines.map((line) => line.split(': ')).map(([k, v]) => [k, Number(v)]),
      ) as Record<string, number>;
      assert.ok(summary.lost! > 50 && summary.lost! < 250, `lost ${summary.lost}`);
      assert.ok(summary.duplicated! > 20, `duplicated ${summary.duplicated}`);
      assert.equal(summary.received, summary.distinct! + summary.duplicated!);

      relay.process.kill('SIGINT');
      assert.equal(await relay.exitCode(), 0);
      const toTarget = relay.stdoutLines.find((l) => l.startsWith('to target:')) ?? '';
      const counts = /forwarded (\d+), dropped (\d+), duplicated (\d+), reordered (\d+)/.exec(
        toTarget,
      );
      assert.ok(counts, toTarget);
      assert.equal(
        Number(counts[2]) + Number(counts[1]) - Number(counts[3]),
        500,
        'every datagram counted once',
      );
      assert.equal(Number(counts[1]), summary.received, 'the sink got what the relay forwarded');
    } finally {
      await Promise.all(children.map((c) => c.close()));
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
