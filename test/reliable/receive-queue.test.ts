import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReliableDatagramSocket } from '../../src/index.js';
import { type AckPacket, FLAG_FIRST, FLAG_LAST, PacketType } from '../../src/reliable/wire.js';
import { within } from '../helpers/bounded.js';
import { Resources, until } from './helpers.js';
import { RawPeer } from './raw-peer.js';

// The queue of complete messages waiting for the application is capped across all flows
// (receiveQueueLimit, receiveQueueBytes). A full queue holds senders back with a window of 0;
// it never drops what it acknowledged.

const resources = new Resources();
after(() => resources.closeAll());

/** The last answer `raw` received, which must be an ACK of `incarnation`. */
function lastAck(raw: RawPeer, incarnation: number): AckPacket {
  const packet = raw.answers[raw.answers.length - 1]?.packet;
  assert.ok(
    packet?.type === PacketType.Ack && packet.incarnation === incarnation,
    `an ACK of ${incarnation.toString(16)}, got ${JSON.stringify(packet)}`,
  );
  return packet;
}

/** Sends `datagram` and waits for the one answer it draws. */
async function exchange(raw: RawPeer, datagram: Buffer, target: { host: string; port: number }) {
  const before = raw.answers.length;
  await raw.send(datagram, target);
  await raw.answered(before + 1, 2000, 'the answer');
}

describe('reliable receive queue', () => {
  it('holds receiveQueueLimit messages of flows that ended, then answers window 0 until the application reads', async () => {
    const receiver = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { receiveQueueLimit: 4 }),
    );
    const target = receiver.localEndpoint;
    const raw = resources.add(await RawPeer.open());
    await raw.learnEpoch(target);
    // Four short flows, each complete (DATA and FIN): their messages stay queued.
    for (let flow = 0; flow < 4; flow++) {
      await exchange(raw, raw.data(0x4400 + flow, 0, Buffer.from(`message ${flow}`)), target);
      await exchange(raw, raw.fin(0x4400 + flow, 1), target);
      assert.equal(lastAck(raw, 0x4400 + flow).cumulative, 1, `flow ${flow} complete`);
    }
    assert.equal(lastAck(raw, 0x4403).window, 0, 'the queue is full: window 0');
    // A fifth flow's message is neither taken nor acknowledged, and its FIN completes nothing.
    await exchange(raw, raw.data(0x4404, 0, Buffer.from('message 4')), target);
    assert.deepEqual([lastAck(raw, 0x4404).cumulative, lastAck(raw, 0x4404).window], [0, 0]);
    await exchange(raw, raw.fin(0x4404, 1), target);
    assert.deepEqual([lastAck(raw, 0x4404).cumulative, lastAck(raw, 0x4404).window], [0, 0]);
    assert.equal(receiver.stats.segmentsQueueFull, 1);
    assert.equal(receiver.stats.messagesReceived, 4);

    // One read leaves 3 of 4: still full. The second brings it to half: the fifth flow hears
    // at once that its window opened.
    const before = raw.answers.length;
    assert.equal((await receiver.recvFrom()).data.toString(), 'message 0');
    assert.equal((await receiver.recvFrom()).data.toString(), 'message 1');
    await raw.answered(before + 1, 2000, 'the window update');
    const update = lastAck(raw, 0x4404);
    assert.equal(update.cumulative, 0);
    assert.ok(update.window > 0, `window ${update.window}`);
    await exchange(raw, raw.data(0x4404, 0, Buffer.from('message 4')), target);
    assert.equal(lastAck(raw, 0x4404).cumulative, 1, 'taken now');
    await exchange(raw, raw.fin(0x4404, 1), target);
    assert.equal(lastAck(raw, 0x4404).cumulative, 1);
    const rest = [];
    for (let i = 2; i <= 4; i++) {
      rest.push((await within(receiver.recvFrom(), 2000, `message ${i}`)).data.toString());
    }
    assert.deepEqual(rest, ['message 2', 'message 3', 'message 4']);
  });

  it('holds a queued message in memory of its own size, not in the batch buffer it arrived in', async () => {
    const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const target = receiver.localEndpoint;
    const raw = resources.add(await RawPeer.open());
    await raw.learnEpoch(target);
    // Sent back to back, so that the native path receives them in batches, packed into
    // shared buffers; each message then waits unread in the queue.
    const count = 12; // within maxFlowsPerPeer (16): each message is a flow of its own
    for (let flow = 0; flow < count; flow++) {
      await raw.send(raw.data(0x5500 + flow, 0, Buffer.from(`m${flow}`)), target);
    }
    await until(() => receiver.stats.messagesReceived === count, 5000, 'every message queued');
    for (let i = 0; i < count; i++) {
      const { data } = await within(receiver.recvFrom(), 2000, `message ${i}`);
      assert.ok(
        data.buffer.byteLength <= 64,
        `message ${i} (${data.length} B, path ${receiver.backend}) holds a ${data.buffer.byteLength} B buffer`,
      );
    }
  });

  it('hands over as they came the messages read in the turn they arrive, and copies those still held after it', async () => {
    const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const target = receiver.localEndpoint;
    const raw = resources.add(await RawPeer.open());
    await raw.learnEpoch(target);
    // A reader waits before the burst comes: it takes the first messages in the turn they
    // arrive (each read continues in a microtask), the rest wait in the queue past that turn.
    const count = 12; // within maxFlowsPerPeer (16): each message is a flow of its own
    const readAtOnce = 4;
    const early: Buffer[] = [];
    const reading = (async () => {
      for (let i = 0; i < readAtOnce; i++) early.push((await receiver.recvFrom()).data);
    })();
    // Sent in one burst, so that the native path receives them in one batch, packed into
    // shared buffers.
    await raw.flood(
      Array.from({ length: count }, (_, flow) =>
        raw.data(0x5600 + flow, 0, Buffer.from(`m${flow}`)),
      ),
      target,
      count,
    );
    await within(reading, 5000, 'the first messages');
    await until(() => receiver.stats.messagesReceived === count, 5000, 'every message queued');
    assert.deepEqual(
      early.map((data) => data.toString()),
      Array.from({ length: readAtOnce }, (_, i) => `m${i}`),
    );
    if (receiver.backend === 'native') {
      // Read in the turn they arrived: no copy was made of them.
      for (const [i, data] of early.entries()) {
        assert.ok(
          data.buffer.byteLength > 64,
          `message ${i} was copied (${data.buffer.byteLength} B)`,
        );
      }
    }
    // The rest are read in a later turn of the event loop, by when they have been copied.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (let i = readAtOnce; i < count; i++) {
      const { data } = await within(receiver.recvFrom(), 2000, `message ${i}`);
      assert.equal(data.toString(), `m${i}`);
      assert.ok(
        data.buffer.byteLength <= 64,
        `message ${i} (${data.length} B, path ${receiver.backend}) holds a ${data.buffer.byteLength} B buffer`,
      );
    }
  });

  it('holds receiveQueueBytes of payload, and takes a larger message once the queue is empty', async () => {
    const receiver = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { receiveQueueBytes: 1000 }),
    );
    const target = receiver.localEndpoint;
    const raw = resources.add(await RawPeer.open());
    await raw.learnEpoch(target);
    const part = (n: number) => Buffer.alloc(400, n);
    // Two 400-byte messages fit; the third would pass 1000 bytes.
    for (let seq = 0; seq < 3; seq++) await exchange(raw, raw.data(0x5500, seq, part(seq)), target);
    assert.deepEqual([lastAck(raw, 0x5500).cumulative, lastAck(raw, 0x5500).window], [2, 0]);
    assert.equal(receiver.stats.segmentsQueueFull, 1);
    // A 1,200-byte message in three fragments: the first two wait for their last, which
    // cannot be taken until the queue is empty (1,200 bytes are more than the limit).
    // Reading one brings the queue to half its bytes: the flow hears its window opened.
    let before = raw.answers.length;
    await receiver.recvFrom();
    await raw.answered(before + 1, 2000, 'the window update');
    assert.ok(lastAck(raw, 0x5500).window > 0);
    await exchange(raw, raw.data(0x5500, 2, part(2)), target);
    assert.equal(lastAck(raw, 0x5500).cumulative, 3, 'the third message, once one was read');
    await exchange(raw, raw.data(0x5500, 3, part(3), FLAG_FIRST), target);
    await exchange(raw, raw.data(0x5500, 4, part(4), 0), target);
    await exchange(raw, raw.data(0x5500, 5, part(5), FLAG_LAST), target);
    assert.deepEqual([lastAck(raw, 0x5500).cumulative, lastAck(raw, 0x5500).window], [5, 0]);
    before = raw.answers.length;
    await receiver.recvFrom();
    await receiver.recvFrom();
    await raw.answered(before + 1, 2000, 'the window update');
    await exchange(raw, raw.data(0x5500, 5, part(5), FLAG_LAST), target);
    assert.equal(lastAck(raw, 0x5500).cumulative, 6, 'the large message, into the empty queue');
    const { data } = await within(receiver.recvFrom(), 2000, 'the large message');
    assert.ok(data.equals(Buffer.concat([part(3), part(4), part(5)])));
  });

  it('delivers everything a sender sent while the queue was full, in order, once the application reads', async () => {
    const limit = 8;
    const receiver = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { receiveQueueLimit: limit }),
    );
    const target = receiver.localEndpoint;
    // Another peer's short flows fill the queue.
    const raw = resources.add(await RawPeer.open('127.0.0.5'));
    await raw.learnEpoch(target);
    for (let flow = 0; flow < limit; flow++) {
      await exchange(raw, raw.data(0x6600 + flow, 0, Buffer.from(`junk ${flow}`)), target);
      await exchange(raw, raw.fin(0x6600 + flow, 1), target);
    }
    const sender = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    // Some messages take several segments: their last one waits for room too.
    const message = (i: number) => Buffer.alloc(i % 5 === 0 ? 3000 : 10 + i, i);
    const count = 60;
    let acknowledged = 0;
    const sends = Array.from({ length: count }, (_, i) =>
      sender.sendTo(message(i), target).then(() => void acknowledged++),
    );
    // Handled even when an assertion below fails first and the sockets close under them.
    for (const send of sends) send.catch(() => undefined);
    await until(() => sender.peerStats(target)?.peerWindow === 0, 5000, 'window 0');
    await until(() => receiver.stats.segmentsQueueFull > 0, 5000, 'a segment not taken');
    assert.equal(acknowledged, 0, 'nothing acknowledged while the queue was full');
    assert.equal(receiver.stats.messagesReceived, limit);
    // The application reads, slower than the sender could send: the queue never holds more
    // than its limit, and every message arrives once, in order.
    let read = 0;
    for (let i = 0; i < limit; i++) {
      assert.ok(
        (await within(receiver.recvFrom(), 2000, `junk ${i}`)).data.toString() === `junk ${i}`,
      );
      read++;
    }
    for (let i = 0; i < count; i++) {
      const { data } = await within(receiver.recvFrom(), 5000, `message ${i}`);
      read++;
      assert.ok(data.equals(message(i)), `message ${i}`);
      // Segments already held out of order still complete their messages (documented): here at
      // most the sender's first flight, its initial congestion window of 10 segments.
      const queued = receiver.stats.messagesReceived - read;
      assert.ok(queued <= limit + 10, `${queued} messages queued`);
      if (i % 4 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await within(Promise.all(sends), 5000, 'every send');
    assert.equal(acknowledged, count);
    assert.equal(sender.stats.peersUnreachable, 0);
  });
});
