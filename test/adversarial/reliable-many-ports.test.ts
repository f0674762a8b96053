import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReliableDatagramSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { Resources } from '../reliable/helpers.js';
import { RawPeer } from '../reliable/raw-peer.js';

const resources = new Resources();
after(() => resources.closeAll());

describe('reliable receiver whose flow table is taken from many ports of one address', () => {
  it('serves an honest sender while 64 ports x 16 flows that each delivered a message stay busy', async () => {
    const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const target = receiver.localEndpoint;
    // The attacker's address is 127.0.0.3 (all of 127/8 is loopback on Linux), the honest
    // sender's 127.0.0.1. Each attacker flow delivers a one-byte message and stays open.
    const raws: RawPeer[] = [];
    for (let i = 0; i < 64; i++) raws.push(resources.add(await RawPeer.open('127.0.0.3')));
    await raws[0]?.learnEpoch(target);
    for (const raw of raws) raw.epoch = raws[0]?.epoch ?? 0;
    const flows = (raw: RawPeer, r: number) =>
      Array.from({ length: 16 }, (_, f) => raw.data(0x7100_0000 + r * 16 + f, 0, Buffer.of(1)));
    const flood = async (): Promise<void> => {
      for (const [r, raw] of raws.entries()) await raw.flood(flows(raw, r), target, 16);
    };
    await within(flood(), 10_000, 'the attacker flows');
    console.log(
      `attacker: ${receiver.stats.messagesReceived} flows delivered, ${receiver.stats.flowsRefused} refused`,
    );
    // The attacker keeps every flow busy (a duplicate every 300 ms: none is idle for 1 s).
    let attacking = true;
    const attack = (async () => {
      while (attacking) {
        await new Promise<void>((resolve) => setTimeout(resolve, 300));
        if (attacking) await flood();
      }
    })();
    try {
      const honest = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
      const started = performance.now();
      await within(honest.sendTo('honest', target), 5000, 'the honest send');
      console.log(`honest send acknowledged after ${(performance.now() - started).toFixed(0)} ms`);
    } finally {
      attacking = false;
      await within(attack, 10_000, 'the attack to stop');
    }
    assert.equal(
      receiver.stats.messagesReceived,
      64 + 1,
      'the attacker got 64 flows, then the honest one',
    );
    assert.ok(receiver.stats.flowsRefused >= 1024 - 64, `${receiver.stats.flowsRefused} refused`);
  });
});
