import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { within } from '../helpers/bounded.js';
import { relayedPair, Resources, transfer } from './helpers.js';

const resources = new Resources();
after(() => resources.closeAll());

const HARSH = { loss: 0.2, dup: 0.1, reorder: 0.1, delay: 2, jitter: 2 };

// The seeds run side by side: each transfer waits on round trips, not on the processor.
describe('reliable delivery through a harsh network', { concurrency: 3 }, () => {
  it(
    'delivers 10,000 messages exactly once and in order (seed 1)',
    { timeout: 300_000 },
    async () => {
      const pair = await relayedPair(resources, { ...HARSH, seed: 1 });
      await transfer(pair, 10_000, 280_000);
      assert.equal(pair.receiver.stats.messagesReceived, 10_000);
      const faults = pair.relay.stats;
      assert.ok(faults.toTarget.dropped > 0 && faults.toClient.dropped > 0);
      assert.ok(faults.total.duplicated > 0 && faults.total.reordered > 0);
      assert.ok(pair.receiver.stats.duplicatesSuppressed > 0);
    },
  );

  for (const seed of [2, 3]) {
    it(
      `delivers 5,000 messages exactly once and in order (seed ${seed})`,
      { timeout: 300_000 },
      async () => {
        const pair = await relayedPair(resources, { ...HARSH, seed });
        // The bound only keeps a broken transfer from hanging; how fast it goes is a benchmark.
        await transfer(pair, 5_000, 280_000);
        assert.equal(pair.receiver.stats.messagesReceived, 5_000);
        assert.equal(pair.sender.stats.messagesAcknowledged, 5_000);
        // What was lost was sent again: the delivery above is the protocol's work.
        const { timeoutRetransmissions, fastRetransmissions } = pair.sender.stats;
        assert.ok(timeoutRetransmissions + fastRetransmissions > 0);
        assert.ok(pair.relay.stats.toTarget.dropped > 0);
      },
    );
  }
});

describe('message sizes through 10% loss', () => {
  it('delivers 0 B, 1 B, 1199 B, 1200 B, 1201 B and 1 MiB messages intact', async () => {
    const pair = await relayedPair(resources, { loss: 0.1, seed: 9 });
    const sizes = [0, 1, 1199, 1200, 1201, 1024 * 1024, 1201, 0];
    const messages = sizes.map((size, n) => {
      const message = Buffer.alloc(size);
      for (let i = 0; i < size; i++) message[i] = (i * 31 + n * 7) & 0xff;
      return message;
    });
    const sends = messages.map((message) => pair.sender.sendTo(message, pair.relay.localEndpoint));
    for (const [n, message] of messages.entries()) {
      const { data, truncated } = await within(pair.receiver.recvFrom(), 20_000, `message ${n}`);
      assert.equal(truncated, false);
      assert.equal(data.length, message.length, `length of message ${n}`);
      const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
      assert.equal(digest(data), digest(message), `content of message ${n}`);
    }
    await within(Promise.all(sends), 20_000, 'acknowledgements');
    assert.ok(pair.relay.stats.toTarget.dropped > 0);
    // 1 MiB in 1200-byte fragments.
    assert.ok(pair.sender.stats.segmentsSent >= Math.ceil((1024 * 1024) / 1200));
  });
});
