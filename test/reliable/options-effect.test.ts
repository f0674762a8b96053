import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DatagramSocket, ReliableDatagramSocket } from '../../src/index.js';
import { SocketClosedError } from '../../src/index.js';
import {
  decodePacket,
  encodeAck,
  FLAG_FIRST,
  FLAG_LAST,
  PacketType,
} from '../../src/reliable/wire.js';
import type { DataPacket, Packet } from '../../src/reliable/wire.js';
import { within } from '../helpers/bounded.js';
import { Resources, until } from './helpers.js';
import { RawPeer } from './raw-peer.js';

// Each option and mechanism here is shown to take effect: a peer scripted with a plain datagram
// socket answers (or does not) exactly as the test needs, and the reliable socket's counters
// and peer statistics show what it did.

const resources = new Resources();
after(() => resources.closeAll());

/** The next datagram of the reliable protocol that `raw` receives, decoded. */
async function nextPacket(raw: DatagramSocket, what: string): Promise<Packet> {
  const { data } = await within(raw.recvFrom(65536), 5000, what);
  const packet = decodePacket(data);
  assert.ok(packet !== null, `${what}: not a datagram of the protocol`);
  return packet;
}

/** The type and incarnation of each answer `raw` received from the `from`-th on. */
function kinds(raw: RawPeer, from: number): [PacketType | undefined, number | undefined][] {
  return raw.answers.slice(from).map(({ packet }) => [packet?.type, packet?.incarnation]);
}

/** Receives DATA segments until one with sequence number `seq` has arrived `times` times. */
async function untilData(raw: DatagramSocket, seq: number, times: number): Promise<DataPacket[]> {
  const seen: DataPacket[] = [];
  for (let i = 0; i < 200; i++) {
    const packet = await nextPacket(raw, `DATA ${seq} (copy ${times})`);
    if (packet.type !== PacketType.Data) continue;
    seen.push(packet);
    if (seen.filter((p) => p.seq === seq).length === times) return seen;
  }
  throw new Error(`DATA ${seq} did not arrive ${times} times within 200 datagrams`);
}

describe('reliable congestion control', () => {
  it('falls to a window of one segment at a retransmission timeout', async () => {
    const sender = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const silent = resources.add(await DatagramSocket.bind('127.0.0.1:0'));
    const peer = silent.localEndpoint;
    for (let i = 0; i < 20; i++) void sender.sendTo(`message ${i}`, peer).catch(() => undefined);
    const before = sender.peerStats(peer);
    assert.equal(before?.cwnd, 10, 'the initial window');
    assert.equal(before?.ssthresh, Infinity);
    // The first segment sent again: nothing was acknowledged, so that is a timeout.
    const seen = await untilData(silent, 0, 2);
    assert.equal(seen.length, 11, 'a first flight of ten segments, then the retransmission');
    const after = sender.peerStats(peer);
    assert.equal(sender.stats.timeoutRetransmissions, 1);
    assert.equal(after?.cwnd, 1, 'the window after the timeout');
    assert.equal(after?.ssthresh, 5, 'half the window before the timeout');
    assert.ok((after?.rto ?? 0) > (before?.rto ?? Infinity), 'the timeout backs off');
  });

  it('halves the window when SACK shows a segment lost (fast retransmission)', async () => {
    // A retransmission timeout far away: only the acknowledgements can make the sender resend.
    const sender = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { minRto: 30_000 }),
    );
    const receiver = resources.add(await DatagramSocket.bind('127.0.0.1:0'));
    const peer = receiver.localEndpoint;
    const sends = Array.from({ length: 10 }, (_, i) => sender.sendTo(`message ${i}`, peer));
    const flight: DataPacket[] = [];
    while (flight.length < 10) {
      const packet = await nextPacket(receiver, `segment ${flight.length}`);
      if (packet.type === PacketType.Data) flight.push(packet);
    }
    assert.deepEqual(
      flight.map((p) => p.seq),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    // Segment 0 "lost": segments 1 to 9 acknowledged selectively.
    const last = flight[9] as DataPacket;
    const ack = encodeAck(last.incarnation, 0, 256, last.timestamp, 1, [{ start: 1, end: 10 }]);
    await receiver.sendTo(ack, sender.localEndpoint);
    const resent = await untilData(receiver, 0, 1);
    assert.equal(resent.length, 1, 'segment 0 is the next segment sent');
    assert.equal(sender.stats.fastRetransmissions, 1);
    assert.equal(sender.stats.timeoutRetransmissions, 0);
    const stats = sender.peerStats(peer);
    assert.ok(stats !== undefined);
    assert.ok(stats.ssthresh < Infinity, `ssthresh ${stats.ssthresh}`);
    assert.equal(stats.cwnd, stats.ssthresh, 'the window is the halved one');
    // Acknowledged now: every send completes.
    const done = encodeAck(last.incarnation, 10, 256, (resent[0] as DataPacket).timestamp, 1, []);
    await receiver.sendTo(done, sender.localEndpoint);
    await within(Promise.all(sends), 5000, 'the ten sends');
    assert.equal(sender.peerStats(peer)?.inFlight, 0);
  });
});

describe('reliable socket limits', () => {
  it('answers a new flow whose DATA carries a stale epoch with RETRY, and starts it with a fresh one', async () => {
    const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const target = receiver.localEndpoint;
    const raw = resources.add(await RawPeer.open());
    await raw.send(raw.data(0x0e0e, 0, Buffer.from('no epoch yet')), target);
    await raw.answered(1, 2000, 'the answer to a DATA without epoch');
    assert.deepEqual(kinds(raw, 0), [[PacketType.Retry, 0x0e0e]]);
    assert.equal(receiver.stats.retriesSent, 1);
    assert.equal(receiver.stats.messagesReceived, 0, 'nothing was delivered');
    await raw.send(raw.data(0x0e0e, 0, Buffer.from('with the epoch')), target);
    await raw.answered(2, 2000, 'the answer with the epoch');
    assert.deepEqual(kinds(raw, 1), [[PacketType.Ack, 0x0e0e]]);
    const { data } = await within(receiver.recvFrom(), 2000, 'the message');
    assert.equal(data.toString(), 'with the epoch');
  });

  it('drops a DATA whose payload is larger than fragmentSize as malformed', async () => {
    const receiver = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { fragmentSize: 100 }),
    );
    const target = receiver.localEndpoint;
    const raw = resources.add(await RawPeer.open());
    await raw.learnEpoch(target);
    const before = raw.answers.length;
    await raw.send(raw.data(0x0f0f, 0, Buffer.alloc(101, 1)), target);
    await raw.send(raw.data(0x0f0f, 0, Buffer.alloc(100, 2)), target);
    await raw.answered(before + 1, 2000, 'the ACK');
    const { data } = await within(receiver.recvFrom(), 2000, 'the message');
    assert.deepEqual(data, Buffer.alloc(100, 2), 'the segment of 100 bytes is the one delivered');
    assert.equal(receiver.stats.malformedDatagrams, 1);
    assert.equal(receiver.stats.duplicatesSuppressed, 0);
  });

  it('resets a new flow past maxFlowsPerPeer, and takes the same from another port', async () => {
    const receiver = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { maxFlowsPerPeer: 2 }),
    );
    const target = receiver.localEndpoint;
    const raw = resources.add(await RawPeer.open());
    await raw.learnEpoch(target);
    const before = raw.answers.length;
    // First fragments of messages never completed: each flow stays open.
    for (const incarnation of [0x1001, 0x1002, 0x1003]) {
      const count = raw.answers.length;
      await raw.send(raw.data(incarnation, 0, Buffer.from('part'), FLAG_FIRST), target);
      await raw.answered(count + 1, 2000, `the answer to flow ${incarnation.toString(16)}`);
    }
    assert.deepEqual(kinds(raw, before), [
      [PacketType.Ack, 0x1001],
      [PacketType.Ack, 0x1002],
      [PacketType.Reset, 0x1003],
    ]);
    assert.equal(receiver.stats.flowsRefused, 1);
    const other = resources.add(await RawPeer.open());
    other.epoch = raw.epoch;
    await other.send(other.data(0x1003, 0, Buffer.from('part'), FLAG_FIRST), target);
    await other.answered(1, 2000, 'the answer to the other port');
    assert.deepEqual(kinds(other, 0), [[PacketType.Ack, 0x1003]]);
  });

  it('makes room past maxFlows by evicting the flow that delivered nothing and advanced least recently', async () => {
    const receiver = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { maxFlows: 2 }),
    );
    const target = receiver.localEndpoint;
    const raw = resources.add(await RawPeer.open());
    await raw.learnEpoch(target);
    const before = raw.answers.length;
    for (const incarnation of [0x2001, 0x2002, 0x2003]) {
      const count = raw.answers.length;
      await raw.send(raw.data(incarnation, 0, Buffer.from('part'), FLAG_FIRST), target);
      await raw.answered(count + 1, 2000, `the answer to flow ${incarnation.toString(16)}`);
    }
    // The third flow took the place of the first: the first's next fragment draws RESET.
    await raw.send(raw.data(0x2001, 1, Buffer.from('more'), 0), target);
    await raw.send(raw.data(0x2002, 1, Buffer.from('more'), 0), target);
    await raw.answered(before + 5, 2000, 'the answers to the next fragments');
    assert.deepEqual(kinds(raw, before), [
      [PacketType.Ack, 0x2001],
      [PacketType.Ack, 0x2002],
      [PacketType.Ack, 0x2003],
      [PacketType.Reset, 0x2001],
      [PacketType.Ack, 0x2002],
    ]);
    assert.equal(receiver.stats.flowsEvicted, 1);
  });

  it('past maxFlows of active flows that delivered, drops a new flow unanswered until one idles', async () => {
    const receiver = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { maxFlows: 2 }),
    );
    const target = receiver.localEndpoint;
    const raw = resources.add(await RawPeer.open());
    await raw.learnEpoch(target);
    const before = raw.answers.length;
    // Two flows that each delivered a message and stay open (no FIN).
    for (const incarnation of [0x3001, 0x3002]) {
      const count = raw.answers.length;
      await raw.send(raw.data(incarnation, 0, Buffer.from('whole')), target);
      await raw.answered(count + 1, 2000, `the ACK of flow ${incarnation.toString(16)}`);
    }
    // A third flow gets no answer: the ACK of a duplicate sent after it is the next answer.
    await raw.send(raw.data(0x3003, 0, Buffer.from('third')), target);
    await raw.send(raw.data(0x3001, 0, Buffer.from('whole')), target);
    await raw.answered(before + 3, 2000, 'the ACK of the duplicate');
    assert.deepEqual(kinds(raw, before), [
      [PacketType.Ack, 0x3001],
      [PacketType.Ack, 0x3002],
      [PacketType.Ack, 0x3001],
    ]);
    assert.equal(receiver.stats.flowsRefused, 1);
    assert.equal(receiver.stats.messagesReceived, 2);
    // An honest sender is not reset: it retransmits until a flow has been idle for a second
    // and gives up its place.
    const sender = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    await within(sender.sendTo('honest', target), 8000, 'the honest send');
    assert.ok(sender.stats.timeoutRetransmissions >= 1, 'the first copies were not taken');
    assert.equal(receiver.stats.flowsEvicted, 1);
    const texts = [];
    for (let i = 0; i < 3; i++) {
      texts.push((await within(receiver.recvFrom(), 2000, `message ${i}`)).data.toString());
    }
    assert.deepEqual(texts, ['whole', 'whole', 'honest']);
  });

  it('holds out-of-order segments up to outOfOrderLimit and drops the rest unacknowledged', async () => {
    const receiver = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { outOfOrderLimit: 3 * (100 + 768) }),
    );
    const target = receiver.localEndpoint;
    const raw = resources.add(await RawPeer.open());
    await raw.learnEpoch(target);
    const before = raw.answers.length;
    for (let seq = 1; seq <= 5; seq++) {
      await raw.send(raw.data(0x4004, seq, Buffer.alloc(100, seq)), target);
    }
    await raw.send(raw.data(0x4004, 0, Buffer.alloc(100, 0)), target);
    // Three held segments draw an ACK each, the segment that fills the hole one more.
    await raw.answered(before + 4, 2000, 'the ACKs');
    const acks = raw.answers.slice(before).map(({ packet }) => packet);
    const last = acks[acks.length - 1];
    assert.ok(last?.type === PacketType.Ack, 'an ACK');
    assert.equal(last.cumulative, 4, 'segments 1 to 3 were held, 4 and 5 were not');
    assert.equal(receiver.stats.segmentsOverBudget, 2);
    assert.equal(receiver.stats.messagesReceived, 4);
  });

  it('frees a flow that delivered nothing once it did not advance for newFlowTimeout', async () => {
    const receiver = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { newFlowTimeout: 300 }),
    );
    const target = receiver.localEndpoint;
    const raw = resources.add(await RawPeer.open());
    await raw.learnEpoch(target);
    const before = raw.answers.length;
    await raw.send(raw.data(0x5005, 0, Buffer.from('part'), FLAG_FIRST), target);
    await raw.send(raw.data(0x5006, 0, Buffer.from('whole')), target);
    await raw.answered(before + 2, 2000, 'the ACKs');
    await until(() => receiver.stats.flowsEvicted === 1, 5000, 'the silent flow to be freed');
    await raw.send(raw.data(0x5005, 1, Buffer.from('late'), 0), target);
    await raw.send(raw.data(0x5006, 1, Buffer.from('next')), target);
    await raw.answered(before + 4, 2000, 'the answers to the late segments');
    assert.deepEqual(kinds(raw, before + 2), [
      [PacketType.Reset, 0x5005],
      [PacketType.Ack, 0x5006],
    ]);
  });

  it('resets a new flow past maxFlowsPerAddress, whatever its port', async () => {
    const receiver = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { maxFlowsPerAddress: 2 }),
    );
    const target = receiver.localEndpoint;
    // Two ports of 127.0.0.3 (loopback on Linux), then one of 127.0.0.1.
    const first = resources.add(await RawPeer.open('127.0.0.3'));
    const second = resources.add(await RawPeer.open('127.0.0.3'));
    const elsewhere = resources.add(await RawPeer.open('127.0.0.1'));
    await first.learnEpoch(target);
    second.epoch = elsewhere.epoch = first.epoch;
    const before = first.answers.length;
    for (const incarnation of [0x1101, 0x1102]) {
      const count = first.answers.length;
      await first.send(first.data(incarnation, 0, Buffer.from('part'), FLAG_FIRST), target);
      await first.answered(count + 1, 2000, `the answer to flow ${incarnation.toString(16)}`);
    }
    assert.deepEqual(kinds(first, before), [
      [PacketType.Ack, 0x1101],
      [PacketType.Ack, 0x1102],
    ]);
    await second.send(second.data(0x1103, 0, Buffer.from('part'), FLAG_FIRST), target);
    await second.answered(1, 2000, 'the answer to the second port');
    assert.deepEqual(kinds(second, 0), [[PacketType.Reset, 0x1103]]);
    await elsewhere.send(elsewhere.data(0x1104, 0, Buffer.from('part'), FLAG_FIRST), target);
    await elsewhere.answered(1, 2000, 'the answer to another address');
    assert.deepEqual(kinds(elsewhere, 0), [[PacketType.Ack, 0x1104]]);
    assert.equal(receiver.stats.flowsRefused, 1);
  });

  it('drops fragments that would grow unfinished messages past reassemblyLimit, but not a last one', async () => {
    const receiver = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { reassemblyLimit: 3 * (100 + 768) }),
    );
    const target = receiver.localEndpoint;
    const raw = resources.add(await RawPeer.open());
    await raw.learnEpoch(target);
    const before = raw.answers.length;
    // Three fragments fill the budget; a fourth that is not the last is dropped unanswered.
    for (let seq = 0; seq < 4; seq++) {
      const flags = seq === 0 ? FLAG_FIRST : 0;
      await raw.send(raw.data(0x6006, seq, Buffer.alloc(100, seq), flags), target);
    }
    await raw.send(raw.data(0x6006, 3, Buffer.alloc(100, 3), FLAG_LAST), target);
    const { data } = await within(receiver.recvFrom(), 2000, 'the message');
    assert.equal(data.length, 400, 'the message, with the last fragment');
    assert.equal(receiver.stats.fragmentsOverBudget, 1);
    await raw.answered(before + 1, 2000, 'an ACK');
    const last = raw.answers[raw.answers.length - 1]?.packet;
    assert.ok(last?.type === PacketType.Ack && last.cumulative === 4, 'all four acknowledged');
  });

  it('frees a flow whose unfinished message did not advance for newFlowTimeout', async () => {
    const receiver = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { newFlowTimeout: 300 }),
    );
    const target = receiver.localEndpoint;
    const raw = resources.add(await RawPeer.open());
    await raw.learnEpoch(target);
    const before = raw.answers.length;
    // Both flows deliver a message; the first then starts one it never finishes.
    await raw.send(raw.data(0x7007, 0, Buffer.from('whole')), target);
    await raw.send(raw.data(0x7008, 0, Buffer.from('whole')), target);
    await raw.send(raw.data(0x7007, 1, Buffer.from('part'), FLAG_FIRST), target);
    await raw.answered(before + 2, 2000, 'the ACKs');
    await until(() => receiver.stats.flowsEvicted === 1, 5000, 'the unfinished flow to be freed');
    const count = raw.answers.length;
    await raw.send(raw.data(0x7007, 2, Buffer.from('late'), FLAG_LAST), target);
    await raw.send(raw.data(0x7008, 1, Buffer.from('next')), target);
    await raw.answered(count + 2, 2000, 'the answers to the late segments');
    assert.deepEqual(kinds(raw, count), [
      [PacketType.Reset, 0x7007],
      [PacketType.Ack, 0x7008],
    ]);
  });

  it('holds sends past sendBufferLimit until the peer acknowledges', async () => {
    const limit = 3000;
    const sender = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { sendBufferLimit: limit }),
    );
    const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const peer = receiver.localEndpoint;
    const message = Buffer.alloc(1000, 1);
    const sends = Array.from({ length: 6 }, () => sender.sendTo(message, peer));
    // Two messages fit (with their headers) in 3000 bytes; the other four wait their turn.
    const buffered = sender.peerStats(peer)?.bufferedBytes ?? 0;
    assert.ok(buffered > 0 && buffered <= limit, `${buffered} bytes buffered`);
    assert.ok(buffered < 3 * message.length, `${buffered} bytes buffered`);
    for (let i = 0; i < sends.length; i++) {
      assert.ok((await within(receiver.recvFrom(), 5000, `message ${i}`)).data.equals(message));
    }
    await within(Promise.all(sends), 5000, 'every send');
    assert.equal(sender.stats.messagesAcknowledged, 6);
  });
});

describe('reliable socket timing options', () => {
  it('starts the retransmission timeout at minRto when that is above the initial 200 ms', async () => {
    const sender = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { minRto: 1500 }),
    );
    const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const peer = receiver.localEndpoint;
    const sent = sender.sendTo('one', peer);
    assert.equal(sender.peerStats(peer)?.rto, 1500, 'before any round trip');
    await within(sent, 5000, 'the acknowledgement');
    // A loopback round trip is far below: the floor holds the timeout up.
    assert.equal(sender.peerStats(peer)?.rto, 1500, 'after a round trip');
    const fast = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const sentFast = fast.sendTo('two', peer);
    assert.equal(fast.peerStats(peer)?.rto, 200, 'the default initial timeout');
    await within(sentFast, 5000, 'the acknowledgement');
  });

  it('gives up on a silent peer at close after closeTimeout, without retransmitting', async () => {
    // The first retransmission would come after 1 s; a close timeout of 0 ends everything first.
    const sender = await ReliableDatagramSocket.bind('127.0.0.1:0', {
      closeTimeout: 0,
      minRto: 1000,
    });
    const silent = resources.add(await DatagramSocket.bind('127.0.0.1:0'));
    const sent = sender.sendTo('never acknowledged', silent.localEndpoint);
    const outcome = sent.then(
      () => 'acknowledged',
      (error: unknown) => error,
    );
    await within(sender.close(), 5000, 'close');
    const error = await outcome;
    assert.ok(error instanceof SocketClosedError, String(error));
    assert.equal(sender.stats.timeoutRetransmissions, 0);
    assert.equal((await nextPacket(silent, 'the DATA')).type, PacketType.Data);
  });

  it('waits up to closeTimeout at close, retransmitting to a silent peer meanwhile', async () => {
    const sender = await ReliableDatagramSocket.bind('127.0.0.1:0', { closeTimeout: 600 });
    const silent = resources.add(await DatagramSocket.bind('127.0.0.1:0'));
    const sent = sender.sendTo('never acknowledged', silent.localEndpoint);
    const outcome = sent.then(
      () => 'acknowledged',
      (error: unknown) => error,
    );
    const closing = sender.close();
    // The first copy and then a retransmission (after the initial 200 ms timeout) arrive
    // while close waits.
    await untilData(silent, 0, 2);
    await within(closing, 5000, 'close');
    assert.ok((await outcome) instanceof SocketClosedError);
    assert.ok(sender.stats.timeoutRetransmissions >= 1);
  });
});
