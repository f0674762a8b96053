import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { within } from '../helpers/bounded.js';
import { dsock, type LineChild } from '../helpers/child.js';
import { dsockEach, type DsockResult } from '../helpers/dsock-batch.js';

/** The promise: SIGINT/SIGTERM end `dsock stream udp` within 1 s; the margin absorbs a busy machine. */
const EXIT_BOUND_MS = 2000;

/** A bound UDP socket on loopback that resolves once the first datagram arrives. */
async function receiver() {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  const first = once(socket, 'message');
  return { socket, port: socket.address().port, first };
}

describe('dsock stream udp under a signal, sending as fast as it can', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`ends within ${EXIT_BOUND_MS} ms of ${signal}, prints "sent N of M" and exits 130`, async () => {
      const sink = await receiver();
      let streamer: LineChild | undefined;
      try {
        streamer = dsock(['stream', 'udp', 1_000_000_000, `127.0.0.1:${sink.port}`]);
        await within(sink.first, 10_000, 'the first datagram of the streamer');
        const signalled = performance.now();
        streamer.process.kill(signal);
        const code = await streamer.exitCode(EXIT_BOUND_MS);
        const elapsed = performance.now() - signalled;
        assert.equal(code, 130, streamer.stderr);
        assert.ok(elapsed < EXIT_BOUND_MS, `exited ${elapsed.toFixed(0)} ms after ${signal}`);
        const line = streamer.stderrLines.find((l) => /sent \d+ of 1000000000\b/.test(l));
        assert.ok(line, `no "sent N of M" line; stderr:\n${streamer.stderr}`);
        const sent = Number(/sent (\d+) of/.exec(line)![1]);
        assert.ok(sent > 0 && sent < 1_000_000_000, line);
      } finally {
        await streamer?.close();
        sink.socket.close();
      }
    });
  }
});

describe('numbers out of range are usage errors (exit 2, one line naming the value)', () => {
  const cases: [string, (string | number)[], RegExp][] = [
    ['a COUNT of 20 digits', ['stream', 'udp', '99999999999999999999', '127.0.0.1:9'], /COUNT/],
    [
      'a negative COUNT',
      ['stream', 'udp', '-5', '127.0.0.1:9'],
      /COUNT "-5": expected an integer from 0/,
    ],
    ['a negative --rate', ['stream', 'udp', 5, '127.0.0.1:9', '--rate', '-5'], /--rate "-5"/],
    ['a huge --rate', ['stream', 'udp', 5, '127.0.0.1:9', '--rate', '1e300'], /--rate/],
    [
      'a negative --expect',
      ['sink', 'udp', 0, '--expect', '-1'],
      /--expect "-1": expected an integer from 0/,
    ],
    ['a huge --expect', ['sink', 'udp', 0, '--expect', '1e20'], /--expect/],
    ['a huge --idle-timeout', ['sink', 'udp', 0, '--idle-timeout', '1e12'], /--idle-timeout/],
    ['a huge --delay', ['chaos', 'udp', 0, '127.0.0.1:9', '--delay', '1e12'], /--delay/],
    ['a negative --jitter', ['chaos', 'udp', 0, '127.0.0.1:9', '--jitter', '-3'], /--jitter "-3"/],
    [
      'a negative --max-connections',
      ['echo', 'server', 0, '--max-connections', '-1'],
      /--max-connections "-1": expected an integer from 1/,
    ],
    [
      'a huge --max-connections',
      ['echo', 'server', 0, '--max-connections', '1e9'],
      /--max-connections/,
    ],
    [
      'a huge --idle-timeout (echo)',
      ['echo', 'server', 0, '--idle-timeout', '1e12'],
      /--idle-timeout/,
    ],
    [
      'a huge --max-delayed',
      ['chaos', 'udp', 0, '127.0.0.1:9', '--max-delayed', '1e12'],
      /--max-delayed/,
    ],
  ];
  // The command lines run one after another in one process (none of them waits on anything).
  let results: Promise<DsockResult[]> | undefined;
  for (const [i, [what, , message]] of cases.entries()) {
    it(`refuses ${what}`, async () => {
      results ??= dsockEach(cases.map(([, args]) => args));
      const result = (await results)[i] as DsockResult;
      const stderr = result.err.join('\n');
      assert.equal(result.code, 2, stderr);
      assert.equal(result.err.length, 1, stderr);
      assert.match(stderr, message);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
      assert.deepEqual(result.leftOpen, [], 'nothing is left open to keep it running');
    });
  }
});
