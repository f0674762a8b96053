import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { setTimeout as pause } from 'node:timers/promises';
import { ChaosRelay, DatagramSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { dsock, type LineChild } from '../helpers/child.js';
import { peakRssOf } from '../helpers/resources.js';

const open: { close(): Promise<void> }[] = [];
after(async () => {
  await Promise.all(open.splice(0).map((resource) => resource.close()));
});

/** Near the largest IPv4 datagram: what costs a relay the most per datagram held. */
const LARGE = 64_000;

describe('a flood of large datagrams through a long delay of the chaos relay', () => {
  it('holds at most its bounds: the rest is dropped, counted, and reported on exit', async () => {
    const target = createSocket('udp4');
    target.bind(0, '127.0.0.1');
    await within(new Promise((resolve) => target.once('listening', resolve)), 5000, 'bind');
    const sender = createSocket('udp4');
    let relay: LineChild | undefined;
    try {
      const bound = 4 * 1024 * 1024;
      relay = dsock([
        'chaos',
        'udp',
        0,
        `127.0.0.1:${target.address().port}`,
        '--delay',
        20_000,
        '--max-delayed-bytes',
        bound,
      ]);
      const port = Number((await relay.stderrMatch(/relaying 127\.0\.0\.1:(\d+) ->/))[1]);
      const startPeak = peakRssOf(relay.process.pid);
      // 3,000 datagrams (192 MB), paced at two a millisecond or slower so that the relay's
      // kernel buffer (a few dozen such datagrams) takes them all even while other processes
      // keep the relay waiting for a processor: far more than the bound, all within the delay.
      const payload = Buffer.alloc(LARGE, 0x41);
      for (let i = 0; i < 3000; i++) {
        await new Promise((resolve) => sender.send(payload, port, '127.0.0.1', resolve));
        if (i % 2 === 1) await pause(1);
      }
      const grown = peakRssOf(relay.process.pid) - startPeak;
      relay.process.kill('SIGINT');
      assert.equal(await relay.exitCode(5000), 0, relay.stderr);
      const line = relay.stdoutLines.find((l) => l.startsWith('to target:')) ?? '';
      const counts = /forwarded (\d+), dropped (\d+), .* overflowed (\d+)/.exec(line);
      assert.ok(counts, `summary: ${relay.stdoutLines.join(' | ')}`);
      const overflowed = Number(counts[3]);
      assert.ok(overflowed > 2000, `overflowed ${overflowed} of 3000`);
      // 4 MiB held, and a margin for the runtime and the garbage of the datagrams dropped (the
      // relay peaks about 37 MB over its start); unbounded, it peaked 130 MB over its start.
      assert.ok(
        grown < 64 * 1024 * 1024,
        `relay peak rss grew ${(grown / 1048576).toFixed(1)} MiB`,
      );
    } finally {
      await relay?.close();
      sender.close();
      target.close();
    }
  });

  it('delivers what it holds after the delay, and drops and counts copies past its bound', async () => {
    const target = await DatagramSocket.bind('127.0.0.1:0');
    open.push(target);
    const relay = await ChaosRelay.start({
      target: target.localEndpoint,
      faults: { delay: 200 },
      maxDelayedDatagrams: 5,
    });
    open.push(relay);
    const client = await DatagramSocket.bind('127.0.0.1:0');
    open.push(client);
    for (let i = 0; i < 12; i++) await client.sendTo(`datagram ${i}`, relay.localEndpoint);
    const received: string[] = [];
    for (let i = 0; i < 5; i++) {
      received.push((await within(target.recvFrom(), 5000, `datagram ${i}`)).data.toString());
    }
    assert.deepEqual(
      received,
      [0, 1, 2, 3, 4].map((i) => `datagram ${i}`),
    );
    assert.equal(relay.stats.toTarget.overflowed, 7);
    assert.equal(relay.stats.total.overflowed, 7);
    assert.equal(relay.pendingDeliveries, 0);
    assert.equal(relay.pendingBytes, 0);
    // Room again once the held ones left.
    await client.sendTo('later', relay.localEndpoint);
    assert.equal((await within(target.recvFrom(), 5000, 'later')).data.toString(), 'later');
    await assert.rejects(
      ChaosRelay.start({ target: target.localEndpoint, maxDelayedBytes: 0 }),
      /maxDelayedBytes must be an integer/,
    );
  });
});
