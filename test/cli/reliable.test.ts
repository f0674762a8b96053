import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DatagramSocket } from '../../src/index.js';
import { chatShows } from '../helpers/chat.js';
import { dsock, type LineChild } from '../helpers/child.js';

function summaryOf(lines: string[]): Record<string, number> {
  const entries = lines.map((line): [string, number] => {
    const [key = '', value = ''] = line.split(': ');
    return [key, Number(value)];
  });
  return Object.fromEntries(entries);
}

describe('dsock --reliable', () => {
  it(
    'streams 20,000 messages through a harsh chaos relay into the sink: all, once, in order',
    { timeout: 180_000 },
    async () => {
      const children: LineChild[] = [];
      try {
        const sink = dsock([
          'sink',
          'udp',
          0,
          '--reliable',
          '--expect',
          20_000,
          '--idle-timeout',
          30,
          '--host',
          '127.0.0.1',
        ]);
        children.push(sink);
        const sinkPort = Number((await sink.stderrMatch(/listening on .*:(\d+)$/))[1]);
        const relay = dsock([
          'chaos',
          'udp',
          0,
          `127.0.0.1:${sinkPort}`,
          '--loss',
          0.2,
          '--dup',
          0.1,
          '--reorder',
          0.1,
          '--delay',
          2,
          '--jitter',
          2,
          '--seed',
          20,
        ]);
        children.push(relay);
        const relayPort = Number((await relay.stderrMatch(/relaying 127\.0\.0\.1:(\d+) ->/))[1]);
        const streamer = dsock(['stream', 'udp', 20_000, `127.0.0.1:${relayPort}`, '--reliable']);
        children.push(streamer);
        assert.equal(await streamer.exitCode(150_000), 0, streamer.stderr);
        assert.equal(await sink.exitCode(20_000), 0, sink.stderr);
        assert.deepEqual(summaryOf(sink.stdoutLines), {
          received: 20_000,
          distinct: 20_000,
          lost: 0,
          duplicated: 0,
          'out of order': 0,
        });
        relay.process.kill('SIGINT');
        assert.equal(await relay.exitCode(), 0);
        const toTarget = /dropped (\d+), duplicated (\d+), reordered (\d+)/.exec(
          relay.stdoutLines.find((l) => l.startsWith('to target:')) ?? '',
        );
        // The relay did misbehave: the protocol, not luck, delivered everything.
        assert.ok(
          toTarget &&
            Number(toTarget[1]) > 2000 &&
            Number(toTarget[2]) > 1000 &&
            Number(toTarget[3]) > 1000,
        );
      } finally {
        await Promise.all(children.map((c) => c.close()));
      }
    },
  );

  it('a streamer whose peer never answers exits 1 and says so', { timeout: 60_000 }, async () => {
    // A bound socket that never reads nor answers: the datagrams go nowhere.
    const silent = await DatagramSocket.bind('127.0.0.1:0');
    const streamer = dsock([
      'stream',
      'udp',
      10,
      `127.0.0.1:${silent.localEndpoint.port}`,
      '--reliable',
    ]);
    try {
      assert.equal(await streamer.exitCode(40_000), 1);
      assert.match(streamer.stderr, /peer 127\.0\.0\.1:\d+ acknowledged nothing for \d+ ms/);
    } finally {
      await streamer.close();
      await silent.close();
    }
  });

  it('three reliable chat peers talk and see a leave', { timeout: 60_000 }, async () => {
    const children: LineChild[] = [];
    const start = async (args: (string | number)[]) => {
      const child = dsock(['chat', 'udp', 0, ...args, '--reliable', '--host', '127.0.0.1']);
      children.push(child);
      return { child, port: Number((await child.stderrMatch(/chatting on .*:(\d+)$/))[1]) };
    };
    try {
      const a = await start(['--name', 'A']);
      const b = await start([`127.0.0.1:${a.port}`, '--name', 'B']);
      const c = await start([`127.0.0.1:${a.port}`, '--name', 'C']);
      b.child.write('b1\nb2\n');
      c.child.write('c1\n');
      await chatShows(a.child, 'B', 'b1');
      await chatShows(a.child, 'B', 'b2');
      await chatShows(a.child, 'C', 'c1');
      a.child.write('to both\n');
      await chatShows(b.child, 'A', 'to both');
      await chatShows(c.child, 'A', 'to both');
      c.child.endInput();
      assert.equal(await c.child.exitCode(), 0);
      await a.child.stderrMatch(/^# C left the chat$/);
    } finally {
      await Promise.all(children.map((child) => child.close()));
    }
  });
});
