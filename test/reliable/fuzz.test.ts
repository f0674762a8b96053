import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DatagramSocket, ReliableDatagramSocket, TimeoutError } from '../../src/index.js';
import { SeededRandom } from '../../src/chaos/seeded-random.js';
import {
  decodePacket,
  encodeAck,
  encodeData,
  encodeFin,
  encodeReset,
  encodeRetry,
} from '../../src/reliable/wire.js';
import { within } from '../helpers/bounded.js';
import { Resources, until } from './helpers.js';

const resources = new Resources();
after(() => resources.closeAll());

/** Datagrams of the protocol with random fields, and mutations of them. */
function fuzzDatagrams(random: SeededRandom, count: number, incarnation?: number): Buffer[] {
  const u32 = () => Math.floor(random.next() * 2 ** 32);
  const small = () => Math.floor(random.next() * 64);
  const inc = () => (incarnation !== undefined && random.chance(0.7) ? incarnation : u32());
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    let datagram: Buffer;
    switch (Math.floor(random.next() * 4)) {
      case 0:
        datagram = encodeData(
          inc(),
          random.chance(0.5) ? small() : u32(),
          u32(),
          random.chance(0.5) ? 0 : u32(),
          small() & 3,
          Buffer.alloc(small(), i),
        );
        break;
      case 1: {
        const blocks = Array.from({ length: small() & 7 }, () => ({
          start: random.chance(0.5) ? small() : u32(),
          end: random.chance(0.5) ? small() : u32(),
        }));
        datagram = encodeAck(
          inc(),
          random.chance(0.5) ? small() : u32(),
          u32(),
          u32(),
          u32(),
          blocks,
        );
        break;
      }
      case 2:
        datagram = encodeFin(inc(), random.chance(0.5) ? small() : u32(), u32(), u32());
        break;
      default:
        datagram = random.chance(0.5) ? encodeReset(inc()) : encodeRetry(inc(), u32());
    }
    const mutation = random.next();
    if (mutation < 0.2) {
      datagram = datagram.subarray(0, Math.floor(random.next() * datagram.length));
    } else if (mutation < 0.4) {
      const at = Math.floor(random.next() * datagram.length);
      datagram[at] = (datagram[at] as number) ^ (1 << Math.floor(random.next() * 8));
    } else if (mutation < 0.5) {
      datagram = Buffer.concat([datagram, Buffer.alloc(1 + small(), 0xff)]);
    }
    out.push(datagram);
  }
  return out;
}

describe('reliable socket under fuzzing', () => {
  it('counts random and mutated datagrams as malformed or stray, and keeps working', async () => {
    const random = new SeededRandom(77);
    const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const sender = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const fuzzer = resources.add(await DatagramSocket.bind('127.0.0.1:0'));
    await within(sender.sendTo('before', receiver.localEndpoint), 2000, 'a first message');
    await within(receiver.recvFrom(), 2000, 'the first message');

    let malformed = 0;
    const junk: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      junk.push(
        Buffer.from(
          Array.from({ length: Math.floor(random.next() * 80) }, () =>
            Math.floor(random.next() * 256),
          ),
        ),
      );
    }
    junk.push(...fuzzDatagrams(random, 1500));
    for (const datagram of junk) if (decodePacket(datagram) === null) malformed++;
    // The sockets' 1 MiB buffers hold the whole burst.
    for (const datagram of junk) {
      await fuzzer.sendTo(datagram, receiver.localEndpoint);
      await fuzzer.sendTo(datagram, sender.localEndpoint);
    }
    await until(
      () =>
        receiver.stats.malformedDatagrams === malformed &&
        sender.stats.malformedDatagrams === malformed,
      5000,
      `${malformed} malformed datagrams counted on both sockets`,
    );
    // Random DATA from the fuzzer may have delivered messages: drain them. Only the timeout
    // that says none is left ends the loop; anything else fails the test.
    for (let drained = 0; ; drained++) {
      assert.ok(drained <= junk.length, 'more messages than the fuzzer sent datagrams');
      let message;
      try {
        message = await receiver.recvFrom(undefined, { timeout: 0 });
      } catch (error) {
        assert.ok(error instanceof TimeoutError, String(error));
        break;
      }
      assert.equal(message.sender.port, fuzzer.localEndpoint.port);
    }
    for (let i = 0; i < 50; i++) {
      const sent = sender.sendTo(`after ${i}`, receiver.localEndpoint);
      const { data, sender: from } = await within(receiver.recvFrom(), 5000, `message ${i}`);
      assert.equal(data.toString(), `after ${i}`);
      assert.equal(from.port, sender.localEndpoint.port);
      await within(sent, 5000, `acknowledgement ${i}`);
    }
  });

  it('survives a peer that answers its DATA with forged ACKs, FINs and RESETs', async () => {
    const random = new SeededRandom(78);
    const sender = resources.add(
      await ReliableDatagramSocket.bind('127.0.0.1:0', { peerTimeout: 500 }),
    );
    const liar = resources.add(await DatagramSocket.bind('127.0.0.1:0'));
    const sends = Array.from({ length: 40 }, (_, i) =>
      sender.sendTo(Buffer.alloc(i * 100, i), liar.localEndpoint).then(
        () => 'acknowledged',
        (error: Error) => error.name,
      ),
    );
    for (let i = 0; i < 200; i++) {
      let packet;
      try {
        packet = decodePacket((await liar.recvFrom(65536, { timeout: 1000 })).data);
      } catch {
        break; // the sender gave up on the liar
      }
      if (packet === null) continue;
      for (const forged of fuzzDatagrams(random, 5, packet.incarnation)) {
        await liar.sendTo(forged, sender.localEndpoint);
      }
    }
    const outcomes = await within(Promise.all(sends), 5000, 'every send to settle');
    for (const outcome of outcomes) {
      assert.ok(['acknowledged', 'PeerUnreachableError'].includes(outcome), outcome);
    }
    // Its send state is gone (forged DATA may have opened flows the other way, kept a while).
    await until(
      () => sender.peerStats(liar.localEndpoint) === undefined,
      5000,
      'the flow to the liar to end',
    );
    // The socket still works with an honest peer.
    const honest = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    await within(sender.sendTo('still here', honest.localEndpoint), 2000, 'an honest send');
    assert.equal((await within(honest.recvFrom(), 2000, 'honest')).data.toString(), 'still here');
  });
});
