import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SequenceSummary } from '../../src/apps/sequence-tracker.js';
import { runSink } from '../../src/apps/sink.js';
import { streamNumbers } from '../../src/apps/streamer.js';
import { DatagramSocket, formatChatMessage } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { EventLog } from '../helpers/event-log.js';

describe('streamer into sink', () => {
  it('counts every message of a paced stream', async () => {
    // A paced stream on loopback loses nothing once the kernel buffer absorbs the bursts.
    const sinkSocket = await DatagramSocket.bind('127.0.0.1:0', {
      kernelReceiveBufferSize: 4 << 20,
    });
    const streamer = await DatagramSocket.bind('127.0.0.1:0');
    try {
      const counting = runSink(sinkSocket, { expect: 2000, idleTimeout: 5000 });
      const sent = await within(
        streamNumbers(streamer, { count: 2000, peers: [sinkSocket.localEndpoint], rate: 10_000 }),
        10_000,
        'streamer',
      );
      assert.equal(sent, 2000);
      assert.deepEqual(await within(counting, 10_000, 'sink'), {
        received: 2000,
        distinct: 2000,
        lost: 0,
        duplicated: 0,
        outOfOrder: 0,
      });
    } finally {
      await Promise.all([sinkSocket.close(), streamer.close()]);
    }
  });

  it('sees losses, duplicates and reordering, and ignores foreign datagrams', async () => {
    const sinkSocket = await DatagramSocket.bind('127.0.0.1:0');
    const sender = await DatagramSocket.bind('127.0.0.1:0');
    try {
      // The sink is stopped once it has counted the last message, not by a timer that a slow
      // machine could run out before the datagrams are read.
      const stop = new AbortController();
      const progress = new EventLog<SequenceSummary>();
      const counting = runSink(sinkSocket, { signal: stop.signal, onProgress: progress.push });
      await sender.sendTo('not a streamer message', sinkSocket.localEndpoint);
      for (const n of [0, 2, 1, 1, 5]) {
        await sender.sendTo(formatChatMessage(`Number ${n}`, 'Streamer'), sinkSocket.localEndpoint);
      }
      await progress.until((s) => s.received === 5, 'the fifth message counted');
      stop.abort();
      assert.deepEqual(await within(counting, 5000, 'sink end'), {
        received: 5,
        distinct: 4,
        lost: 2,
        duplicated: 1,
        outOfOrder: 1,
      });
      assert.equal(progress.events.length, 5, 'one progress report a streamer message');
    } finally {
      await Promise.all([sinkSocket.close(), sender.close()]);
    }
  });

  it('waits for the first message without limit, then ends after the idle timeout', async () => {
    const sinkSocket = await DatagramSocket.bind('127.0.0.1:0');
    const sender = await DatagramSocket.bind('127.0.0.1:0');
    try {
      let ended = false;
      const counting = runSink(sinkSocket, { idleTimeout: 50 }).finally(() => (ended = true));
      // Six idle timeouts without a message: a sink counting from its start would have ended.
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(ended, false, 'the sink gave up before the streamer started');
      await sender.sendTo(formatChatMessage('Number 0', 'Streamer'), sinkSocket.localEndpoint);
      const summary = await within(counting, 5000, 'idle end after the first message');
      assert.deepEqual(summary, {
        received: 1,
        distinct: 1,
        lost: 0,
        duplicated: 0,
        outOfOrder: 0,
      });
    } finally {
      await Promise.all([sinkSocket.close(), sender.close()]);
    }
  });

  it('paces the stream at the rate asked for', async () => {
    const sinkSocket = await DatagramSocket.bind('127.0.0.1:0');
    const streamer = await DatagramSocket.bind('127.0.0.1:0');
    try {
      const progress = new EventLog<number>();
      const counting = runSink(sinkSocket, {
        expect: 100,
        onProgress: () => progress.push(performance.now()),
      });
      const sent = await within(
        streamNumbers(streamer, { count: 100, peers: [sinkSocket.localEndpoint], rate: 100 }),
        10_000,
        'streamer',
      );
      assert.equal(sent, 100);
      assert.equal((await within(counting, 10_000, 'sink')).distinct, 100);
      // 100 messages at 100 a second span about a second; unpaced, a few milliseconds. Only
      // a lower bound: a loaded machine can make it longer, never shorter.
      const spread = (progress.events.at(-1) ?? 0) - (progress.events[0] ?? 0);
      assert.ok(spread >= 500, `100 messages came within ${spread.toFixed(0)} ms`);
    } finally {
      await Promise.all([sinkSocket.close(), streamer.close()]);
    }
  });
});
