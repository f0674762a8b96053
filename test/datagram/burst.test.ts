import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { within } from '../helpers/bounded.js';
import { DatagramSocket, HostUnreachableError, MAX_DATAGRAM_SIZE } from '../../src/index.js';
import type { ReceivedDatagram } from '../../src/index.js';
import { FAMILIES, recv, socketTracker, unavailable } from './sockets.js';

const sockets = socketTracker();

/** Room in the kernel for a whole burst, big datagrams included, before anyone receives. */
const RECV_BUFFER = 4 * 1024 * 1024;

/** A payload of `size` bytes that names its sender and place. */
function payload(size: number, tag: string): Buffer {
  const data = Buffer.alloc(size, tag.charCodeAt(0));
  data.write(tag.slice(0, size));
  return data;
}

/** Receives `count` datagrams, failing instead of hanging. */
async function receiveAll(socket: DatagramSocket, count: number): Promise<ReceivedDatagram[]> {
  const received: ReceivedDatagram[] = [];
  for (let i = 0; i < count; i++) received.push(await recv(socket));
  return received;
}

describe('DatagramSocket bursts (received in batches on the native path)', () => {
  it('uses the path the environment asks for', () => {
    const mode = process.env.DSOCK_NATIVE;
    if (mode === '1') assert.equal(DatagramSocket.nativeAvailable, true);
    if (mode === '0') assert.equal(DatagramSocket.nativeAvailable, false);
    return within(
      (async () => {
        const socket = await sockets.bind('127.0.0.1:0');
        assert.equal(socket.backend, DatagramSocket.nativeAvailable ? 'native' : 'node:dgram');
      })(),
      5_000,
      'bind',
    );
  });

  for (const { family, loopback } of FAMILIES) {
    it(`${family}: delivers a burst in order, with each sender, length and payload intact`, async (t) => {
      if (await unavailable(t, family)) return;
      const receiver = await sockets.bind(
        { host: loopback },
        { kernelReceiveBufferSize: RECV_BUFFER },
      );
      const first = await sockets.bind({ host: loopback });
      const second = await sockets.bind({ host: loopback });
      const big = MAX_DATAGRAM_SIZE.IPv4;
      const plan: { from: DatagramSocket; data: Buffer }[] = [
        { from: first, data: Buffer.alloc(0) },
        { from: first, data: payload(1, 'a') },
        { from: first, data: payload(big, 'first big') },
      ];
      for (let i = 0; i < 25; i++) plan.push({ from: first, data: payload(64, `first ${i}`) });
      for (let i = 0; i < 25; i++) plan.push({ from: second, data: payload(3000, `second ${i}`) });
      plan.push({ from: second, data: payload(big, 'second big') });
      plan.push({ from: first, data: payload(1, 'z') });

      // All of it is sent before the receiver reads anything, so it waits in the kernel and
      // is read many datagrams at a time.
      for (const { from, data } of plan) {
        assert.equal(await from.sendTo(data, receiver.localEndpoint), data.length);
      }
      const received = await within(receiveAll(receiver, plan.length), 10_000, 'the burst');
      received.forEach((datagram, i) => {
        const expected = plan[i]!;
        assert.deepEqual(datagram.sender, expected.from.localEndpoint, `sender of #${i}`);
        assert.equal(datagram.truncated, false);
        assert.equal(datagram.data.length, expected.data.length, `length of #${i}`);
        assert.ok(datagram.data.equals(expected.data), `payload of #${i}`);
      });
      assert.equal(receiver.stats.datagramsReceived, plan.length);
      assert.equal(receiver.stats.datagramsDropped, 0);
    });
  }

  it('keeps what a held datagram retains proportional to its own size', async () => {
    const receiver = await sockets.bind('127.0.0.1:0', { kernelReceiveBufferSize: RECV_BUFFER });
    const sender = await sockets.bind('127.0.0.1:0');
    const sizes = [MAX_DATAGRAM_SIZE.IPv4, 10, 40_000, 1, 2_000, 10, 65_000, 100];
    for (let i = 0; i < 40; i++) sizes.push(100 + i * 20);
    for (const size of sizes) await sender.sendTo(Buffer.alloc(size, 1), receiver.localEndpoint);
    const received = await within(receiveAll(receiver, sizes.length), 10_000, 'the datagrams');
    for (const datagram of received) {
      // At most a Buffer-pool-sized share of memory for a small datagram, only itself for
      // a large one: holding a few bytes never keeps a batch of large datagrams alive.
      const kept = datagram.data.buffer.byteLength;
      assert.ok(
        kept <= Math.max(datagram.data.length, 8192),
        `a ${datagram.data.length}-byte datagram keeps ${kept} bytes`,
      );
    }
  });

  it('cuts each datagram of a burst to the bufsize of its receive', async () => {
    const receiver = await sockets.bind('127.0.0.1:0', { kernelReceiveBufferSize: RECV_BUFFER });
    const sender = await sockets.bind('127.0.0.1:0');
    const texts = Array.from({ length: 45 }, (_, i) => `datagram number ${i}`.padEnd(10 + i, '.'));
    for (const text of texts) await sender.sendTo(text, receiver.localEndpoint);
    let cut = 0;
    for (const [i, text] of texts.entries()) {
      const bufsize = i % 3 === 0 ? 1000 : 5 + i;
      const datagram = await recv(receiver, bufsize);
      assert.equal(datagram.data.toString(), text.slice(0, bufsize), `datagram ${i}`);
      assert.equal(datagram.truncated, text.length > bufsize, `truncated flag of ${i}`);
      if (text.length > bufsize) cut++;
    }
    assert.ok(cut > 0 && cut < texts.length);
    assert.equal(receiver.stats.datagramsTruncated, cut);
    assert.equal(receiver.stats.datagramsReceived, texts.length);
  });

  it('gives a datagram that fails in a batch of sends its own error; the others go out in order', async (t) => {
    if (await unavailable(t, 'IPv6')) return;
    // An IPv6-only socket cannot reach an IPv4-mapped address: the system refuses that one
    // datagram at once (ENETUNREACH), without sending anything.
    const socket = await sockets.bind('[::1]:0', { ipv6Only: true });
    const peer = await sockets.bind('[::1]:0');
    const mapped = { host: '::ffff:127.0.0.1', port: peer.localEndpoint.port };
    const results = await within(
      Promise.allSettled([
        socket.sendTo('one', peer.localEndpoint),
        socket.sendTo('refused', mapped),
        socket.sendTo('two', peer.localEndpoint),
        socket.sendTo('refused again', mapped),
        socket.sendTo('three', peer.localEndpoint),
      ]),
      5_000,
      'the sends',
    );
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled'],
    );
    for (const result of results) {
      if (result.status === 'rejected') {
        assert.ok(result.reason instanceof HostUnreachableError, String(result.reason));
        assert.deepEqual(result.reason.endpoint, mapped);
      }
    }
    const texts = (await receiveAll(peer, 3)).map((d) => d.data.toString());
    assert.deepEqual(texts, ['one', 'two', 'three']);
    assert.equal(socket.stats.datagramsSent, 3);
  });

  it('sends runs of one size to one peer, made in one tick, as the separate datagrams they are, in order', async () => {
    // The native path hands the sends of one tick to the system in one call: the receivers
    // must still see each datagram on its own, at its own length, in order.
    const a = await sockets.bind('127.0.0.1:0', { kernelReceiveBufferSize: RECV_BUFFER });
    const b = await sockets.bind('127.0.0.1:0', { kernelReceiveBufferSize: RECV_BUFFER });
    const sender = await sockets.bind('127.0.0.1:0');
    const plan: { to: DatagramSocket; data: Buffer }[] = [];
    const run = (to: DatagramSocket, count: number, size: number, tag: string): void => {
      for (let i = 0; i < count; i++) plan.push({ to, data: payload(size, `${tag} ${i}`) });
    };
    run(a, 30, 64, 'a64');
    run(a, 1, 63, 'a63');
    run(a, 5, 100, 'a100');
    run(b, 10, 64, 'b64');
    for (let i = 0; i < 6; i++) run(i % 2 === 0 ? a : b, 1, 64, `alternate${i}`);
    run(a, 50, 1472, 'a1472');
    run(b, 4, 9000, 'b9000');
    run(a, 3, 0, 'empty');
    const sizes = await within(
      Promise.all(plan.map(({ to, data }) => sender.sendTo(data, to.localEndpoint))),
      5_000,
      'the sends',
    );
    assert.deepEqual(
      sizes,
      plan.map(({ data }) => data.length),
    );
    for (const to of [a, b]) {
      const expected = plan.filter((p) => p.to === to).map((p) => p.data);
      const received = await within(receiveAll(to, expected.length), 10_000, 'the runs');
      received.forEach((datagram, i) => {
        assert.equal(datagram.data.length, expected[i]!.length, `length of #${i}`);
        assert.ok(datagram.data.equals(expected[i]!), `payload of #${i}`);
        assert.deepEqual(datagram.sender, sender.localEndpoint);
      });
      assert.equal(to.stats.datagramsReceived, expected.length);
    }
    assert.equal(sender.stats.datagramsSent, plan.length);
  });

  it('gives each datagram of a refused run of one size its own error', async (t) => {
    if (await unavailable(t, 'IPv6')) return;
    const socket = await sockets.bind('[::1]:0', { ipv6Only: true });
    const peer = await sockets.bind('[::1]:0');
    const mapped = { host: '::ffff:127.0.0.1', port: peer.localEndpoint.port };
    const sends = [
      ...Array.from({ length: 4 }, () => socket.sendTo('refused', mapped)),
      ...Array.from({ length: 4 }, (_, i) => socket.sendTo(`sent ${i}`, peer.localEndpoint)),
    ];
    const results = await within(Promise.allSettled(sends), 5_000, 'the sends');
    assert.deepEqual(
      results.map((r) => r.status),
      [...Array<string>(4).fill('rejected'), ...Array<string>(4).fill('fulfilled')],
    );
    for (const result of results.slice(0, 4)) {
      assert.ok(result.status === 'rejected' && result.reason instanceof HostUnreachableError);
    }
    const texts = (await receiveAll(peer, 4)).map((d) => d.data.toString());
    assert.deepEqual(texts, ['sent 0', 'sent 1', 'sent 2', 'sent 3']);
  });

  it('puts on the wire every send to an address made in the tick the socket closes', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    const peer = await sockets.bind('127.0.0.1:0', { kernelReceiveBufferSize: RECV_BUFFER });
    const first = await within(
      Promise.all(
        Array.from({ length: 300 }, (_, i) => socket.sendTo(`early ${i}`, peer.localEndpoint)),
      ),
      5_000,
      'the first sends',
    );
    assert.equal(first.length, 300);
    // A send to an address is handed to the system during its call over node:dgram, and
    // before the handle closes natively: a close in the same tick does not take it back.
    const late = Array.from({ length: 300 }, (_, i) =>
      socket.sendTo(`late ${i}`, peer.localEndpoint),
    );
    await within(socket.close(), 5_000, 'close');
    const sent = await within(Promise.all(late), 5_000, 'the sends in flight');
    assert.deepEqual(
      sent,
      Array.from({ length: 300 }, (_, i) => `late ${i}`.length),
    );
    assert.equal(socket.stats.datagramsSent, 600);
  });
});
