import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSink } from '../../src/apps/sink.js';
import { streamNumbers } from '../../src/apps/streamer.js';
import { within } from '../helpers/bounded.js';
import { relayedPair, Resources } from './helpers.js';

const resources = new Resources();
after(() => resources.closeAll());

describe('datagram apps over reliable sockets', () => {
  it('streamer to sink through 10% loss, duplication and reordering: nothing lost, doubled or reordered', async () => {
    const { sender, receiver, relay } = await relayedPair(resources, {
      loss: 0.1,
      dup: 0.1,
      reorder: 0.1,
      seed: 21,
    });
    const count = 1000;
    const sink = runSink(receiver, { expect: count, idleTimeout: 5000 });
    const sent = await within(
      streamNumbers(sender, { count, peers: [relay.localEndpoint] }),
      20_000,
      'the streamer',
    );
    assert.equal(sent, count);
    const summary = await within(sink, 20_000, 'the sink');
    assert.deepEqual(summary, {
      received: count,
      distinct: count,
      lost: 0,
      duplicated: 0,
      outOfOrder: 0,
    });
    assert.ok(relay.stats.total.dropped > 0 && relay.stats.total.duplicated > 0);
  });
});
