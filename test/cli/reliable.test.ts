import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DatagramSocket, ReliableDatagramSocket } from '../../src/index.js';
import { until, within } from '../helpers/bounded.js';
import { chatShows } from '../helpers/chat.js';
import { dsock, type LineChild } from '../helpers/child.js';

function summaryOf(lines: string[]): Record<string, number> {
  const entries = lines.map((line): [string, number] => {
    const [key = '', value = ''] = line.split(': ');
    return [key, Number(value)];
  });
  return Object.fromEntries(entries);
}

/**
 * The CLI's reliable stream through the relay, end to end. The protocol's long runs (10,000
 * messages through the same faults) are proven on the library in test/reliable/chaos-delivery;
 * here the faults are as harsh and the count is what shows the CLI's plumbing through them.
 */
const MESSAGES = 2_000;

describe('dsock --reliable', () => {
  it(
    'streams 2,000 messages through a harsh chaos relay into the sink: all, once, in order',
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
          MESSAGES,
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
        const streamer = dsock(['stream', 'udp', MESSAGES, `127.0.0.1:${relayPort}`, '--reliable']);
        children.push(streamer);
        assert.equal(await streamer.exitCode(150_000), 0, streamer.stderr);
        assert.equal(await sink.exitCode(20_000), 0, sink.stderr);
        assert.deepEqual(summaryOf(sink.stdoutLines), {
          received: MESSAGES,
          distinct: MESSAGES,
          lost: 0,
          duplicated: 0,
          'out of order': 0,
        });
        relay.process.kill('SIGINT');
        assert.equal(await relay.exitCode(), 0);
        const toTarget = /dropped (\d+), duplicated (\d+), reordered (\d+)/.exec(
          relay.stdoutLines.find((l) => l.startsWith('to target:')) ?? '',
        );
        // The relay did misbehave: the protocol, not luck, delivered everything. At 20 % loss and
        // 10 % duplication and reordering, 2,000 messages meet about 520 drops, 200 duplicates
        // and 200 reorderings on the way to the sink; the bounds are half of that.
        assert.ok(
          toTarget &&
            Number(toTarget[1]) > 260 &&
            Number(toTarget[2]) > 100 &&
            Number(toTarget[3]) > 100,
          `the relay misbehaved too little: ${toTarget?.[0]}`,
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
      '--peer-timeout',
      0.5,
    ]);
    try {
      assert.equal(await streamer.exitCode(40_000), 1);
      // The timeout is the one asked for (the default is 10 s).
      assert.match(streamer.stderr, /peer 127\.0\.0\.1:\d+ acknowledged nothing for 500 ms/);
    } finally {
      await streamer.close();
      await silent.close();
    }
  });

  // node:dgram drops a send whose address lookup its socket's closing overtook, the native path
  // the batch still waiting for the next tick: either way the FIN was lost.
  for (const path of ['the default datagram path', 'node:dgram'] as const) {
    it(`a streamer that ends tells its receiver it closed, on ${path}`, async () => {
      // The receiver's timers are far beyond the wait: only the FIN makes it forget the streamer.
      const receiver = await ReliableDatagramSocket.bind('127.0.0.1:0', {
        newFlowTimeout: 60_000,
        peerTimeout: 60_000,
      });
      const env = path === 'node:dgram' ? { DSOCK_NATIVE: '0' } : undefined;
      const streamer = dsock(
        ['stream', 'udp', 3, `127.0.0.1:${receiver.localEndpoint.port}`, '--reliable'],
        env,
      );
      try {
        for (let i = 0; i < 3; i++) {
          const { data } = await within(receiver.recvFrom(), 10_000, `message ${i}`);
          assert.match(data.toString(), new RegExp(`Number ${i}$`));
        }
        assert.equal(await streamer.exitCode(10_000), 0, streamer.stderr);
        await until(() => receiver.peerCount === 0, 10_000, 'the receiver forgets the streamer');
      } finally {
        await streamer.close();
        await receiver.close();
      }
    });
  }

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
