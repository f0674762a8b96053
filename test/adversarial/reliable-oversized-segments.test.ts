import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReliableDatagramSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { collectGarbage, rssOf } from '../helpers/resources.js';
import { Resources } from '../reliable/helpers.js';
import { RawPeer } from '../reliable/raw-peer.js';

const resources = new Resources();
after(() => resources.closeAll());

const MiB = 1024 * 1024;

/**
 * What the process holds after a full collection: heap objects and Buffer memory. Buffers a
 * collection found dead are freed in a later turn of the event loop (the array buffer sweeper),
 * so the count is taken after one more turn and collection.
 */
async function held(): Promise<number> {
  collectGarbage();
  await new Promise<void>((resolve) => setImmediate(resolve));
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/**
 * DATA of `flows` new incarnations, each at sequence numbers 1..255 (segment 0 never comes,
 * so every one of them is held out of order), with `payload` as every segment's payload.
 */
function* outOfOrderFlood(raw: RawPeer, flows: number, payload: Buffer): Generator<Buffer> {
  for (let flow = 0; flow < flows; flow++) {
    for (let seq = 1; seq < 256; seq++) yield raw.data(0x5000_0000 + flow, seq, payload);
  }
}

describe('reliable receiver under an out-of-order flood', () => {
  it('holds no DATA segment larger than the fragment size (16 flows of 255 x 65,486 B)', async () => {
    const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const raw = resources.add(await RawPeer.open());
    await raw.learnEpoch(receiver.localEndpoint);
    const baselineRss = rssOf();
    const baseline = await held();
    // 267 MB sent: before, every segment was held (16 MB a flow).
    await within(
      raw.flood(outOfOrderFlood(raw, 16, Buffer.alloc(65_486, 1)), receiver.localEndpoint, 8),
      60_000,
      'the flood',
    );
    const growth = (await held()) - baseline;
    const rssGrowth = rssOf() - baselineRss;
    console.log(`held +${(growth / MiB).toFixed(1)} MiB, rss +${(rssGrowth / MiB).toFixed(1)} MiB`);
    assert.ok(growth < 8 * MiB, `held memory grew by ${(growth / MiB).toFixed(1)} MiB`);
    assert.ok(rssGrowth < 64 * MiB, `rss grew by ${(rssGrowth / MiB).toFixed(1)} MiB`);
    assert.equal(receiver.stats.messagesReceived, 0);
    assert.ok(receiver.stats.malformedDatagrams > 0, 'oversized segments are counted as malformed');
    await receiver.close({ timeout: 0 });
  });

  it('bounds the out-of-order bytes held across all flows (150 flows of 255 x 1,200 B)', async () => {
    const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    // The attacker spreads its flows over many source ports and three addresses (all of 127/8
    // is loopback on Linux), as the flow limits per port and per address ask; the honest
    // sender uses 127.0.0.1.
    const raws: RawPeer[] = [];
    for (let i = 0; i < 10; i++)
      raws.push(resources.add(await RawPeer.open(`127.0.0.${30 + (i % 3)}`)));
    const raw = raws[0] as RawPeer;
    await raw.learnEpoch(receiver.localEndpoint);
    for (const other of raws) other.epoch = raw.epoch;
    const baselineRss = rssOf();
    const baseline = await held();
    // 46 MB of well-sized segments, all out of order.
    const payload = Buffer.alloc(1200, 2);
    const flood = async (): Promise<void> => {
      for (const r of raws) await r.flood(outOfOrderFlood(r, 15, payload), receiver.localEndpoint);
    };
    await within(flood(), 60_000, 'the flood');
    // Nearly all of it reached the receiver (the flood is paced to its socket buffer).
    assert.ok(
      receiver.stats.segmentsReceived > 0.9 * 150 * 255,
      `${receiver.stats.segmentsReceived}`,
    );
    const growth = (await held()) - baseline;
    const rssGrowth = rssOf() - baselineRss;
    console.log(`held +${(growth / MiB).toFixed(1)} MiB, rss +${(rssGrowth / MiB).toFixed(1)} MiB`);
    // The default budget of held out-of-order bytes is 16 MiB.
    assert.ok(growth < 24 * MiB, `held memory grew by ${(growth / MiB).toFixed(1)} MiB`);
    // The flood's received datagrams are garbage the allocator may keep: rss is bounded loosely.
    assert.ok(rssGrowth < 128 * MiB, `rss grew by ${(rssGrowth / MiB).toFixed(1)} MiB`);

    // An honest sender is still served.
    const honest = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    await within(honest.sendTo('still here', receiver.localEndpoint), 5000, 'an honest send');
    const { data } = await within(receiver.recvFrom(), 5000, 'the honest message');
    assert.equal(data.toString(), 'still here');
  });
});
