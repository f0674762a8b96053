import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReliableDatagramSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { collectGarbage, rssOf } from '../helpers/resources.js';
import { Resources, until } from '../reliable/helpers.js';
import { RawPeer } from '../reliable/raw-peer.js';

const resources = new Resources();
after(() => resources.closeAll());

const MiB = 1024 * 1024;

/** What the process holds after a full collection: heap objects and Buffer memory. */
function held(): number {
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

const PAYLOAD = Buffer.alloc(1200, 0x6a);

/**
 * `count` short flows, each complete at once: one whole 1,200-byte message (DATA seq 0) and
 * the FIN after it. Each flow ends as soon as it arrives, so its window no longer bounds the
 * message it leaves for the application.
 */
function* shortFlows(raw: RawPeer, first: number, count: number): Generator<Buffer> {
  for (let i = first; i < first + count; i++) {
    const incarnation = 0x5100_0000 + i;
    yield raw.data(incarnation, 0, PAYLOAD);
    yield raw.fin(incarnation, 1);
  }
}

describe('reliable receiver whose application does not read, flooded with short flows', () => {
  it('bounds the messages it holds (20,000 flows of 1,200 B), then delivers an honest sender in order once read', async () => {
    const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const target = receiver.localEndpoint;
    // The attacker's own address (all of 127/8 is loopback on Linux); the honest sender uses
    // 127.0.0.1.
    const raw = resources.add(await RawPeer.open('127.0.0.4'));
    await raw.learnEpoch(target);
    const flows = 20_000;
    const baselineRss = rssOf();
    const baseline = held();
    const started = performance.now();
    await within(raw.flood(shortFlows(raw, 0, flows), target), 60_000, 'the flood');
    // Every DATA is answered (an ACK, or a RESET once the attacker's flows that wait for
    // room reach the per-peer limit): wait for the receiver to have seen them all.
    await until(
      () => receiver.stats.segmentsReceived >= flows,
      10_000,
      `all ${flows} DATA received (${receiver.stats.segmentsReceived} so far)`,
    );
    // What the attacker's socket recorded of the answers is no memory of the receiver's.
    const answers = raw.answers.splice(0).length;
    const growth = held() - baseline;
    const rssGrowth = rssOf() - baselineRss;
    const queued = receiver.stats.messagesReceived;
    console.log(
      `${flows} short flows in ${(performance.now() - started).toFixed(0)} ms, ${answers} answers: ` +
        `${queued} messages queued, held +${(growth / MiB).toFixed(1)} MiB, rss +${(rssGrowth / MiB).toFixed(1)} MiB`,
    );
    // The queue holds at most receiveQueueLimit (4,096) messages by default: 4.7 MiB of payload,
    // about 11 MiB with their datagrams and objects. Unbounded, the 20,000 hold about 47 MiB.
    assert.ok(growth < 16 * MiB, `held memory grew by ${(growth / MiB).toFixed(1)} MiB`);
    assert.ok(queued <= 4096, `${queued} messages queued for the application`);

    // The attack goes on (more short flows every 100 ms) while an honest sender sends, and
    // the application starts reading.
    let attacking = true;
    const attack = (async () => {
      for (let round = 1; attacking && round < 600; round++) {
        await new Promise<void>((resolve) => setTimeout(resolve, 100));
        if (attacking) await raw.flood(shortFlows(raw, flows + round * 64, 64), target);
      }
    })();
    try {
      const honest = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
      const count = 200;
      const acknowledged: number[] = [];
      const sends = Array.from({ length: count }, (_, i) =>
        honest.sendTo(`honest ${i}`, target).then(() => void acknowledged.push(i)),
      );
      // The queue is full: the honest messages wait at the sender, acknowledged by nobody.
      await until(() => honest.stats.acksReceived > 0, 5000, 'the receiver to answer');
      assert.equal(acknowledged.length, 0, 'nothing was acknowledged while the queue was full');
      // The application reads: junk first, then every honest message, once each, in order.
      const texts: string[] = [];
      let junk = 0;
      const reading = (async () => {
        for (let i = 0; i < 100_000 && texts.length < count; i++) {
          const { data } = await receiver.recvFrom();
          if (data.length === PAYLOAD.length) junk++;
          else texts.push(data.toString());
        }
      })();
      await within(reading, 30_000, 'the honest messages');
      await within(Promise.all(sends), 10_000, 'every honest send');
      console.log(`read ${junk} junk messages and ${texts.length} honest ones`);
      assert.deepEqual(
        texts,
        Array.from({ length: count }, (_, i) => `honest ${i}`),
      );
      assert.equal(acknowledged.length, count);
    } finally {
      attacking = false;
      await within(attack, 10_000, 'the attack to stop');
    }
  });
});
