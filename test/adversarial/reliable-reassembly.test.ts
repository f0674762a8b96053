import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReliableDatagramSocket } from '../../src/index.js';
import { FLAG_FIRST, PacketType } from '../../src/reliable/wire.js';
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

/** Fragments per junk message: just under the default maxMessageSize of 1 MiB. */
const FRAGMENTS = 873;
const FRAGMENT = Buffer.alloc(1200, 7);

/**
 * For each flow of each attacker port: a whole one-byte message at seq 0 (so that the flow
 * has delivered something), then the FIRST fragment and middle fragments of a message that
 * never gets its LAST, in order, the flows interleaved.
 */
function* unfinishedMessages(raw: RawPeer, port: number, flows: number): Generator<Buffer> {
  const incarnation = (flow: number) => 0x6000_0000 + port * 256 + flow;
  for (let flow = 0; flow < flows; flow++) yield raw.data(incarnation(flow), 0, Buffer.of(1));
  for (let seq = 1; seq <= FRAGMENTS; seq++) {
    const flags = seq === 1 ? FLAG_FIRST : 0;
    for (let flow = 0; flow < flows; flow++) {
      yield raw.data(incarnation(flow), seq, FRAGMENT, flags);
    }
  }
}

describe('reliable receiver under a flood of messages that never end', () => {
  it('bounds the bytes of unfinished messages (64 flows of 1 MiB) and still delivers an honest 1 MiB message', async () => {
    const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const target = receiver.localEndpoint;
    const ports = 4;
    const flowsPerPort = 16;
    const raws: RawPeer[] = [];
    // The attacker's own address (all of 127/8 is loopback on Linux): the honest sender's
    // address keeps its own quota of flows.
    for (let i = 0; i < ports; i++) raws.push(resources.add(await RawPeer.open('127.0.0.3')));
    await raws[0]?.learnEpoch(target);
    for (const raw of raws) raw.epoch = raws[0]?.epoch ?? 0;
    const baselineRss = rssOf();
    const baseline = held();
    // 68 MB of well-formed fragments, all in order: every one is acknowledged.
    const started = performance.now();
    const flood = async (): Promise<void> => {
      for (const [p, raw] of raws.entries()) {
        await raw.flood(unfinishedMessages(raw, p, flowsPerPort), target);
      }
    };
    await within(flood(), 60_000, 'the flood');
    const growth = held() - baseline;
    const rssGrowth = rssOf() - baselineRss;
    console.log(
      `flood of ${receiver.stats.segmentsReceived} segments in ${(performance.now() - started).toFixed(0)} ms: ` +
        `held +${(growth / MiB).toFixed(1)} MiB, rss +${(rssGrowth / MiB).toFixed(1)} MiB`,
    );
    // Unfinished messages (16 MiB by default) and out-of-order segments (16 MiB) each have a
    // budget; the fragments that found them full were dropped.
    assert.ok(growth < 40 * MiB, `held memory grew by ${(growth / MiB).toFixed(1)} MiB`);
    assert.ok(receiver.stats.fragmentsOverBudget > 0, 'fragments were dropped for the budget');
    assert.ok(
      receiver.stats.segmentsReceived > 0.9 * ports * flowsPerPort * (FRAGMENTS + 1),
      `${receiver.stats.segmentsReceived} segments received`,
    );

    // The attack goes on: every 300 ms each junk flow sends its next fragment again.
    let attacking = true;
    const attack = (async () => {
      while (attacking) {
        await new Promise<void>((resolve) => setTimeout(resolve, 300));
        for (let p = 0; p < raws.length && attacking; p++) {
          const raw = raws[p] as RawPeer;
          const next = Array.from({ length: flowsPerPort }, (_, flow) =>
            raw.data(0x6000_0000 + p * 256 + flow, FRAGMENTS + 1, FRAGMENT, 0),
          );
          await raw.flood(next, target, 16);
        }
      }
    })();
    try {
      const honest = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
      const message = Buffer.alloc(MiB, 0x5a);
      const sent = performance.now();
      await within(honest.sendTo(message, target), 30_000, 'the honest 1 MiB send');
      console.log(
        `honest 1 MiB message acknowledged after ${(performance.now() - sent).toFixed(0)} ms`,
      );
      // The junk flows' one-byte messages come first; the honest message after them.
      let received;
      for (let i = 0; i <= ports * flowsPerPort; i++) {
        received = await within(receiver.recvFrom(), 2000, `message ${i}`);
        if (received.data.length === MiB) break;
      }
      assert.ok(received?.data.equals(message), 'the honest message, whole');
      // The flows that took the budget (the first port's: its fragments came first) were freed
      // once their unfinished messages stopped advancing: their fragments now draw RESET.
      const first = raws[0] as RawPeer;
      const reset = () =>
        new Set(
          first.answers.flatMap(({ packet }) =>
            packet?.type === PacketType.Reset ? [packet.incarnation] : [],
          ),
        );
      await until(() => reset().size === flowsPerPort, 10_000, 'RESETs for the first port');
      assert.ok(
        receiver.stats.flowsEvicted >= flowsPerPort,
        `${receiver.stats.flowsEvicted} freed`,
      );
    } finally {
      attacking = false;
      await within(attack, 10_000, 'the attack to stop');
    }
    const peak = held() - baseline;
    console.log(`held +${(peak / MiB).toFixed(1)} MiB after the honest message`);
  });
});
