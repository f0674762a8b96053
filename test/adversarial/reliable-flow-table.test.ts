import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReliableDatagramSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { Resources } from '../reliable/helpers.js';
import { RawPeer } from '../reliable/raw-peer.js';

const resources = new Resources();
after(() => resources.closeAll());

describe('reliable receiver whose flow table is flooded', () => {
  it('serves honest senders while 1,024 junk flows that deliver nothing are re-sent', async () => {
    const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const target = receiver.localEndpoint;
    // 16 addresses x 4 source ports x 16 flows (64 a source address, as many as it may
    // open): one-byte DATA at seq 1, which can never be delivered. 127.0.0.10 to 127.0.0.25
    // are loopback on Linux; the honest senders use 127.0.0.1.
    const raws: RawPeer[] = [];
    for (let i = 0; i < 64; i++) {
      raws.push(resources.add(await RawPeer.open(`127.0.0.${10 + (i % 16)}`)));
    }
    await raws[0]?.learnEpoch(target);
    for (const raw of raws) raw.epoch = raws[0]?.epoch ?? 0;
    const junk = (raw: RawPeer, r: number) =>
      Array.from({ length: 16 }, (_, f) => raw.data(0x7000_0000 + r * 16 + f, 1, Buffer.of(1)));
    const flood = (): Promise<void[]> =>
      Promise.all(raws.map((raw, r) => raw.flood(junk(raw, r), target, 16)));
    await within(flood(), 10_000, 'the junk flows');
    // The attacker keeps re-sending its junk (every 300 ms here) while honest peers send.
    let refreshing = true;
    const refresher = (async () => {
      while (refreshing) {
        await new Promise<void>((resolve) => setTimeout(resolve, 300));
        if (refreshing) await flood();
      }
    })();
    try {
      const honest = await Promise.all(
        [0, 1, 2].map(async () => resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'))),
      );
      const started = performance.now();
      await within(
        Promise.all(honest.map((socket, i) => socket.sendTo(`honest ${i}`, target))),
        9000,
        'the honest sends',
      );
      console.log(`honest sends acknowledged after ${(performance.now() - started).toFixed(0)} ms`);
      const texts = [];
      for (let i = 0; i < 3; i++) {
        texts.push(
          (await within(receiver.recvFrom(), 2000, `honest message ${i}`)).data.toString(),
        );
      }
      assert.deepEqual(texts.sort(), ['honest 0', 'honest 1', 'honest 2']);
    } finally {
      refreshing = false;
      await within(refresher, 10_000, 'the refresher to stop');
    }
  });
});
