import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReliableDatagramSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { Resources, until } from './helpers.js';

const resources = new Resources();
after(() => resources.closeAll());

describe('reliable flow control', () => {
  it('stalls a sender while the receiver does not read, bounded by the window, then delivers all', async () => {
    const window = 16;
    const receiver = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { receiveWindow: window }),
    );
    // A closed window shorter than the peer timeout: the sender waits and probes.
    const sender = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { peerTimeout: 8000 }),
    );
    const count = 200;
    let acknowledged = 0;
    const sends = Array.from({ length: count }, (_, i) =>
      sender.sendTo(`message ${i}`, receiver.localEndpoint).then(() => void acknowledged++),
    );
    await until(
      () => sender.peerStats(receiver.localEndpoint)?.peerWindow === 0,
      5000,
      'the receiver to close its window',
    );
    const closedAt = performance.now();
    // Four probes of the closed window, each answered (their interval doubles from one RTO):
    // still alive and still stalled, well within the peer timeout that a window held shut
    // longer would exhaust (the persist timer).
    await until(() => sender.stats.windowProbes >= 4, 7_000, 'four window probes');
    const stalledFor = performance.now() - closedAt;
    assert.ok(stalledFor >= 70, `${stalledFor} ms of probes`);
    assert.ok(acknowledged <= window, `${acknowledged} acknowledged although nobody read`);
    assert.equal(receiver.stats.messagesReceived, window);
    const segmentsOut = sender.stats.segmentsSent;
    assert.ok(segmentsOut <= window + 1 + sender.stats.windowProbes, `${segmentsOut} sent`);
    assert.ok(sender.stats.windowProbes > 0, 'the sender probes the closed window');
    assert.ok((sender.peerStats(receiver.localEndpoint)?.inFlight ?? 0) <= 1);
    assert.equal(sender.stats.peersUnreachable, 0);

    for (let i = 0; i < count; i++) {
      const { data } = await within(receiver.recvFrom(), 5000, `message ${i}`);
      assert.equal(data.toString(), `message ${i}`);
    }
    await within(Promise.all(sends), 5000, 'every send');
    assert.equal(acknowledged, count);
  });

  it('holds at most the window of a reader that lags, with large messages too', async () => {
    const receiver = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { receiveWindow: 8, fragmentSize: 100 }),
    );
    const sender = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { fragmentSize: 100 }),
    );
    const message = Buffer.alloc(5000, 7); // 50 fragments, more than the window
    const sends = [0, 1, 2].map(() => sender.sendTo(message, receiver.localEndpoint));
    await within(sends[0] as Promise<number>, 5000, 'the first large message');
    await until(
      () => sender.peerStats(receiver.localEndpoint)?.peerWindow === 0,
      5000,
      'the window to close behind the unread message',
    );
    assert.equal(receiver.stats.messagesReceived, 1);
    for (let i = 0; i < 3; i++) {
      const { data } = await within(receiver.recvFrom(), 5000, `message ${i}`);
      assert.ok(data.equals(message));
    }
    await within(Promise.all(sends), 5000, 'all sends');
  });
});
