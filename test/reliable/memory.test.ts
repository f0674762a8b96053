import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ChaosRelay, PeerUnreachableError, ReliableDatagramSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { Resources } from './helpers.js';

const resources = new Resources();
after(() => resources.closeAll());

// A full collection on demand, so that memory still held can be told from garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function held(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

describe('reliable socket memory', () => {
  it('returns to its baseline once a vanished peer is given up, with 8 MiB unacknowledged', async () => {
    const sender = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { peerTimeout: 300 }),
    );
    const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    // Everything is lost on the way: no message can ever be acknowledged.
    const blackHole = resources.add(
      await ChaosRelay.start({ target: receiver.localEndpoint, faults: { loss: 1, seed: 1 } }),
    );
    const baseline = held();
    const sends = Array.from({ length: 8 }, () =>
      sender.sendTo(Buffer.alloc(1 << 20, 7), blackHole.localEndpoint),
    );
    const during = held();
    assert.ok(during - baseline > 4 << 20, `8 MiB of messages are held while unacknowledged`);
    for (const send of sends) {
      await assert.rejects(within(send, 10_000, 'the send to fail'), PeerUnreachableError);
    }
    assert.equal(sender.peerCount, 0);
    const after = held();
    assert.ok(
      after - baseline < 1 << 20,
      `memory back to baseline: ${((after - baseline) / 1024).toFixed(0)} KiB above it`,
    );
  });
});
