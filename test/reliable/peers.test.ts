import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChaosRelay, PeerUnreachableError, ReliableDatagramSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { Resources, until } from './helpers.js';
import { RawPeer } from './raw-peer.js';

const resources = new Resources();
after(() => resources.closeAll());

describe('reliable peers', () => {
  it('three peers each sending to the two others through relays: every message once, in order', async () => {
    const faults = { loss: 0.1, dup: 0.05, reorder: 0.05, delay: 1, jitter: 1 };
    const names = ['A', 'B', 'C'];
    const peers = await Promise.all(
      names.map(() => ReliableDatagramSocket.bind('127.0.0.1:0').then((s) => resources.add(s))),
    );
    const relays = await Promise.all(
      peers.map((peer, i) =>
        ChaosRelay.start({ target: peer.localEndpoint, faults: { ...faults, seed: 10 + i } }).then(
          (relay) => resources.add(relay),
        ),
      ),
    );
    const count = 300;
    const sends: Promise<number>[] = [];
    for (let i = 0; i < count; i++) {
      for (const [from, socket] of peers.entries()) {
        for (const [to, relay] of relays.entries()) {
          if (to !== from) sends.push(socket.sendTo(`${names[from]}:${i}`, relay.localEndpoint));
        }
      }
    }
    const receiving = peers.map(async (socket, me) => {
      const next = new Map<string, number>();
      for (let n = 0; n < 2 * count; n++) {
        const { data } = await socket.recvFrom();
        const [from, index] = data.toString().split(':') as [string, string];
        assert.notEqual(from, names[me]);
        const expected = next.get(from) ?? 0;
        assert.equal(Number(index), expected, `${names[me]} from ${from}`);
        next.set(from, expected + 1);
      }
      return next;
    });
    const received = await within(Promise.all(receiving), 60_000, 'the messages of the mesh');
    for (const [me, next] of received.entries()) {
      for (const from of names.filter((_, i) => i !== me)) assert.equal(next.get(from), count);
      assert.equal(peers[me]?.stats.messagesReceived, 2 * count);
    }
    await within(Promise.all(sends), 10_000, 'acknowledgements');
  });

  for (const how of ['its socket closed', 'every datagram lost']) {
    it(`rejects sends to a peer that vanished (${how}) after the peer timeout and frees its state`, async () => {
      const peerTimeout = 300;
      const sender = resources.add(
        await ReliableDatagramSocket.bind('127.0.0.1:0', { peerTimeout }),
      );
      const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
      const relay = resources.add(
        await ChaosRelay.start({ target: receiver.localEndpoint, faults: { seed: 5 } }),
      );
      await within(sender.sendTo('hello', relay.localEndpoint), 2000, 'first message');
      if (how === 'its socket closed') await receiver.close();
      else {
        await relay.close();
        resources.add(
          await ChaosRelay.start({
            listen: relay.localEndpoint,
            target: receiver.localEndpoint,
            faults: { loss: 1 },
          }),
        );
      }
      const retransmitted = sender.stats.timeoutRetransmissions;
      const started = performance.now();
      const sends = [
        sender.sendTo('are you there?', relay.localEndpoint),
        sender.sendTo('?', relay.localEndpoint),
      ];
      for (const send of sends) {
        await assert.rejects(within(send, 5000, 'the send to fail'), (error: unknown) => {
          assert.ok(error instanceof PeerUnreachableError, String(error));
          assert.equal(error.code, 'ERR_PEER_UNREACHABLE');
          assert.deepEqual(error.endpoint, relay.localEndpoint);
          return true;
        });
      }
      // Not before the peer timeout (a slow machine only makes it later), and after trying
      // again: the sender retransmitted before it gave up.
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= peerTimeout - 5, `gave up after ${elapsed} ms`);
      assert.ok(sender.stats.timeoutRetransmissions > retransmitted, 'no retransmission');
      assert.equal(sender.peerCount, 0, 'the peer was forgotten');
      assert.equal(sender.peerStats(relay.localEndpoint), undefined);
      assert.equal(sender.stats.peersUnreachable, 1);
    });
  }

  it('keeps apart two peers on one port at two addresses, sends to them alternating', async () => {
    const first = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const port = first.localEndpoint.port;
    // The same port on another loopback address; taken by something else, another pair.
    let second: ReliableDatagramSocket | undefined;
    let firstSocket = first;
    for (let attempt = 0; attempt < 10 && second === undefined; attempt++) {
      try {
        second = resources.add(
          await ReliableDatagramSocket.bind({
            host: '127.0.0.2',
            port: firstSocket.localEndpoint.port,
          }),
        );
      } catch {
        firstSocket = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
      }
    }
    assert.ok(second !== undefined, `no free port on both 127.0.0.1 and 127.0.0.2 (${port})`);
    const sender = resources.add(await ReliableDatagramSocket.bind('0.0.0.0:0'));
    const targets = [firstSocket, second];
    const count = 20;
    const sends: Promise<number>[] = [];
    for (let i = 0; i < count; i++) {
      for (const [to, target] of targets.entries()) {
        sends.push(sender.sendTo(`${to}:${i}`, target.localEndpoint));
      }
    }
    for (const [to, target] of targets.entries()) {
      for (let i = 0; i < count; i++) {
        const { data } = await within(target.recvFrom(), 2000, `message ${i} to ${to}`);
        assert.equal(data.toString(), `${to}:${i}`);
      }
    }
    await within(Promise.all(sends), 2000, 'the acknowledgements');
    assert.equal(sender.peerCount, 2);
  });

  it('takes a restarted sender on the same port for a new flow, not for duplicates', async () => {
    const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const first = await ReliableDatagramSocket.bind('127.0.0.1:0');
    const port = first.localEndpoint.port;
    for (let i = 0; i < 5; i++) await first.sendTo(`first ${i}`, receiver.localEndpoint);
    await first.close();
    const second = resources.add(await ReliableDatagramSocket.bind({ host: '127.0.0.1', port }));
    for (let i = 0; i < 5; i++)
      await within(second.sendTo(`second ${i}`, receiver.localEndpoint), 2000, 'send');
    const texts = [];
    for (let i = 0; i < 10; i++) {
      const { data, sender } = await within(receiver.recvFrom(), 2000, `message ${i}`);
      assert.equal(sender.port, port);
      texts.push(data.toString());
    }
    assert.deepEqual(texts, [
      ...Array.from({ length: 5 }, (_, i) => `first ${i}`),
      ...Array.from({ length: 5 }, (_, i) => `second ${i}`),
    ]);
  });

  it('keeps a new incarnation apart from an older flow that is still open', async () => {
    const receiver = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const raw = resources.add(await RawPeer.open());
    await raw.learnEpoch(receiver.localEndpoint);
    const data = (incarnation: number, seq: number, text: string) =>
      raw.data(incarnation, seq, Buffer.from(text));
    for (let seq = 0; seq < 3; seq++) {
      await raw.send(data(0x1111, seq, `old ${seq}`), receiver.localEndpoint);
    }
    for (let seq = 0; seq < 3; seq++) {
      await raw.send(data(0x2222, seq, `new ${seq}`), receiver.localEndpoint);
    }
    // A late retransmission of the old flow is a duplicate.
    await raw.send(data(0x1111, 1, 'old 1 again'), receiver.localEndpoint);
    const texts = [];
    for (let i = 0; i < 6; i++) {
      texts.push((await within(receiver.recvFrom(), 2000, `message ${i}`)).data.toString());
    }
    assert.deepEqual(texts, ['old 0', 'old 1', 'old 2', 'new 0', 'new 1', 'new 2']);
    await until(() => receiver.stats.duplicatesSuppressed === 1, 2000, 'the duplicate');
    assert.equal(receiver.stats.messagesReceived, 6);
  });
});
