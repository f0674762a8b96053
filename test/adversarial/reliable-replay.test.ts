import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReliableDatagramSocket, type ReliableSocketOptions } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { Resources } from '../reliable/helpers.js';
import { RawPeer } from '../reliable/raw-peer.js';

const resources = new Resources();
after(() => resources.closeAll());

/**
 * A victim runs one short flow ("secret", then FIN) and an attacker captures its datagrams;
 * another peer runs `churn` short flows of its own; then the attacker replays the captured
 * datagrams verbatim. The receiver must not deliver "secret" again.
 */
async function replayAfterChurn(churn: number, options: ReliableSocketOptions): Promise<void> {
  const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0', options));
  const target = receiver.localEndpoint;
  const victim = resources.add(await RawPeer.open());
  await victim.learnEpoch(target);
  const captured = [victim.data(0x1234_5678, 0, Buffer.from('secret')), victim.fin(0x1234_5678, 1)];
  for (const datagram of captured) await victim.send(datagram, target);
  const first = await within(receiver.recvFrom(), 2000, 'the secret');
  assert.equal(first.data.toString(), 'secret');

  const churner = resources.add(await RawPeer.open());
  await churner.learnEpoch(target);
  const flows = function* (): Generator<Buffer> {
    for (let i = 0; i < churn; i++) {
      // Each datagram is made when sent, with the epoch the churner last heard.
      yield churner.data(0x9000_0000 + i, 0, Buffer.from('junk'));
      yield churner.fin(0x9000_0000 + i, 1);
    }
  };
  let junk = 0;
  const draining = (async () => {
    while (junk < churn) {
      const { data } = await receiver.recvFrom(undefined, { timeout: 5000 });
      assert.equal(data.toString(), 'junk', 'only the churner delivers now');
      junk++;
    }
  })();
  await within(churner.flood(flows(), target, 32), 30_000, 'the churn');
  await within(draining, 10_000, `the churner's ${churn} messages`);
  const { retriesSent, duplicatesSuppressed } = receiver.stats;
  console.log(
    `${junk} churned flows delivered (retries ${retriesSent}, duplicates ${duplicatesSuppressed})`,
  );

  // The replay, then an honest marker: the next message must be the marker.
  const answersBefore = victim.answers.length;
  for (const datagram of captured) await victim.send(datagram, target);
  await victim.answered(answersBefore + 1, 2000, 'answers to the replay');
  const honest = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
  await within(honest.sendTo('marker', target), 5000, 'the marker');
  const next = await within(receiver.recvFrom(), 2000, 'the next message');
  assert.equal(next.data.toString(), 'marker', 'the replayed message was delivered again');
}

describe('reliable receiver against replayed datagrams', () => {
  it("delivers another peer's finished flow once, after a peer ran 4,200 short flows", async () => {
    await replayAfterChurn(4200, {});
  });

  it('delivers it once too when the churn made the receiver forget its record many times over', async () => {
    // 3,000 flows through records of 256 a generation: the epoch advances eleven times.
    await replayAfterChurn(3000, { flowRecordLimit: 512 });
  });
});
