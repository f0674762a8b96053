import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSink } from '../../src/apps/sink.js';
import { streamNumbers } from '../../src/apps/streamer.js';
import { DatagramSocket, formatChatMessage } from '../../src/index.js';
import { within } from '../helpers/bounded.js';

describe('streamer into sink', () => {
  it('counts every message of a paced stream', async () => {
    // A paced stream on loopback loses nothing once the kernel buffer absorbs the bursts.
    const sinkSocket = await DatagramSocket.bind('127.0.0.1:0', { recvBufferSize: 4 << 20 });
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
      const counting = runSink(sinkSocket, { idleTimeout: 300 });
      for (const n of [0, 2, 1, 1, 5]) {
        await sender.sendTo(formatChatMessage(`Number ${n}`, 'Streamer'), sinkSocket.localEndpoint);
      }
      await sender.sendTo('not a streamer message', sinkSocket.localEndpoint);
      assert.deepEqual(await within(counting, 5000, 'sink idle end'), {
        received: 5,
        distinct: 4,
        lost: 2,
        duplicated: 1,
        outOfOrder: 1,
      });
    } finally {
      await Promise.all([sinkSocket.close(), sender.close()]);
    }
  });
});
