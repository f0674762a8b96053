import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DatagramSocket, PeerUnreachableError, ReliableDatagramSocket } from '../../src/index.js';
import type { Endpoint } from '../../src/index.js';
import { SocketClosedError } from '../../src/index.js';
import {
  decodePacket,
  encodeAck,
  encodeData,
  FLAG_FIRST,
  FLAG_LAST,
  PacketType,
} from '../../src/reliable/wire.js';
import type { DataPacket, Packet } from '../../src/reliable/wire.js';
import { within } from '../helpers/bounded.js';
import { Resources } from './helpers.js';

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

/** The receiver's epoch, learned as a sender does: a DATA without it draws a RETRY that tells it. */
async function learnEpoch(raw: DatagramSocket, receiver: Endpoint): Promise<number> {
  await raw.sendTo(encodeData(0xeeee_eeee, 0, 0, 0, FLAG_FIRST, Buffer.alloc(0)), receiver);
  const retry = await nextPacket(raw, 'the RETRY that tells the epoch');
  assert.ok(retry.type === PacketType.Retry, `a RETRY, got packet type ${retry.type}`);
  return retry.epoch;
}

/** The epoch the scripted receiver below announces in its ACKs (any value a sender adopts). */
const SCRIPTED_EPOCH = 1;

/** A message in one segment: its first and its last. */
const FLAG_WHOLE = FLAG_FIRST | FLAG_LAST;

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
    const ack = encodeAck(last.incarnation, 0, 256, last.timestamp, SCRIPTED_EPOCH, [
      { start: 1, end: 10 },
    ]);
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
    const echo = (resent[0] as DataPacket).timestamp;
    const done = encodeAck(last.incarnation, 10, 256, echo, SCRIPTED_EPOCH, []);
    await receiver.sendTo(done, sender.localEndpoint);
    await within(Promise.all(sends), 5000, 'the ten sends');
    assert.equal(sender.peerStats(peer)?.inFlight, 0);
  });
});

describe('reliable socket limits', () => {
  it('leaves a new flow past maxFlows unanswered while every flow is proven', async () => {
    const receiver = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { maxFlows: 2 }),
    );
    const raw = resources.add(await DatagramSocket.bind('127.0.0.1:0'));
    // Whole messages, delivered and not followed by a FIN: each flow is proven and stays open,
    // so a new flow past the limit has none it may take the place of.
    const epoch = await learnEpoch(raw, receiver.localEndpoint);
    const whole = (incarnation: number, seq: number): Buffer =>
      encodeData(incarnation, seq, 0, epoch, FLAG_WHOLE, Buffer.from('whole'));
    const answers: Packet[] = [];
    for (const incarnation of [0x1001, 0x1002]) {
      await raw.sendTo(whole(incarnation, 0), receiver.localEndpoint);
      answers.push(await nextPacket(raw, `the answer to flow ${incarnation.toString(16)}`));
    }
    // The third flow, then more of the first: the receiver takes datagrams in order, so the
    // answer to the latter comes after whatever the third drew.
    await raw.sendTo(whole(0x1003, 0), receiver.localEndpoint);
    await raw.sendTo(whole(0x1001, 1), receiver.localEndpoint);
    answers.push(await nextPacket(raw, 'the answer after flow 1003'));
    assert.deepEqual(
      answers.map((p) => [p.type, p.incarnation]),
      [
        [PacketType.Ack, 0x1001],
        [PacketType.Ack, 0x1002],
        [PacketType.Ack, 0x1001],
      ],
    );
    assert.equal(receiver.stats.flowsRefused, 1);
    assert.equal(receiver.stats.resetsSent, 0);
  });

  it('rejects the send of a sender never admitted past maxFlows with PeerUnreachableError', async () => {
    const receiver = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { maxFlows: 1 }),
    );
    const raw = resources.add(await DatagramSocket.bind('127.0.0.1:0'));
    const epoch = await learnEpoch(raw, receiver.localEndpoint);
    const open = encodeData(7, 0, 0, epoch, FLAG_WHOLE, Buffer.from('open'));
    await raw.sendTo(open, receiver.localEndpoint);
    assert.equal((await nextPacket(raw, 'the ACK of the open flow')).type, PacketType.Ack);
    const sender = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { peerTimeout: 500 }),
    );
    await assert.rejects(
      within(sender.sendTo('refused', receiver.localEndpoint), 5000, 'the refused send'),
      PeerUnreachableError,
    );
    assert.ok(receiver.stats.flowsRefused >= 1, `${receiver.stats.flowsRefused} refused`);
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
