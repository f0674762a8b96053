import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { within } from '../helpers/bounded.js';
import {
  InvalidArgumentError,
  MAX_DATAGRAM_SIZE,
  MAX_SEND_MANY,
  MessageTooLargeError,
  PermissionDeniedError,
  SocketClosedError,
  SocketError,
  TimeoutError,
} from '../../src/index.js';
import type { DatagramSocket } from '../../src/index.js';
import { FAMILIES, recv, socketTracker, unavailable } from './sockets.js';

const sockets = socketTracker();

/** Room in the kernel for a whole batch before anyone receives. */
const RECV_BUFFER = 4 * 1024 * 1024;

/** Receives `count` datagrams as text, failing instead of hanging. */
async function receiveTexts(socket: DatagramSocket, count: number): Promise<string[]> {
  const texts: string[] = [];
  for (let i = 0; i < count; i++) texts.push((await recv(socket)).data.toString());
  return texts;
}

/** Proves that nothing arrived before `marker`: the next datagram is the marker itself. */
async function nothingBefore(from: DatagramSocket, to: DatagramSocket): Promise<void> {
  await from.sendTo('marker', to.localEndpoint);
  assert.equal((await recv(to)).data.toString(), 'marker');
}

describe('DatagramSocket.sendToMany', () => {
  for (const { family, loopback } of FAMILIES) {
    it(`${family}: sends each element as one datagram, in order, past one system call's worth`, async (t) => {
      if (await unavailable(t, family)) return;
      const receiver = await sockets.bind(
        { host: loopback },
        { kernelReceiveBufferSize: RECV_BUFFER },
      );
      const sender = await sockets.bind({ host: loopback });
      // More than the native path hands to one sendmmsg (256), fewer than the cap.
      const texts = Array.from({ length: 600 }, (_, i) => `datagram ${i}`);
      assert.equal(await sender.sendToMany(texts, receiver.localEndpoint), 600);
      assert.deepEqual(await receiveTexts(receiver, 600), texts);
      assert.equal(sender.stats.datagramsSent, 600);
      assert.equal(
        sender.stats.bytesSent,
        texts.reduce((sum, text) => sum + text.length, 0),
      );
    });
  }

  it('takes strings and bytes together, encodes strings as asked, and sends empty datagrams', async () => {
    const receiver = await sockets.bind('127.0.0.1:0');
    const sender = await sockets.bind('127.0.0.1:0');
    const sent = await sender.sendToMany(
      ['68656c6c6f', new Uint8Array([1, 2, 3]), ''],
      receiver.localEndpoint,
      { encoding: 'hex' },
    );
    assert.equal(sent, 3);
    assert.equal((await recv(receiver)).data.toString(), 'hello');
    assert.deepEqual((await recv(receiver)).data, Buffer.from([1, 2, 3]));
    assert.equal((await recv(receiver)).data.length, 0);
  });

  it('keeps the order of sendTo calls made before and after it in the same tick', async () => {
    const receiver = await sockets.bind('127.0.0.1:0', { kernelReceiveBufferSize: RECV_BUFFER });
    const sender = await sockets.bind('127.0.0.1:0');
    const to = receiver.localEndpoint;
    await Promise.all([
      sender.sendTo('before', to),
      sender.sendToMany(['one', 'two'], to),
      sender.sendTo('after', to),
    ]);
    assert.deepEqual(await receiveTexts(receiver, 4), ['before', 'one', 'two', 'after']);
  });

  it('resolves with 0 for an empty list and sends nothing', async () => {
    const receiver = await sockets.bind('127.0.0.1:0');
    const sender = await sockets.bind('127.0.0.1:0');
    assert.equal(await sender.sendToMany([], receiver.localEndpoint), 0);
    await nothingBefore(sender, receiver);
    assert.equal(sender.stats.datagramsSent, 1);
  });

  it('checks every datagram first: a bad element, a list too long or a payload too large sends nothing', async () => {
    const receiver = await sockets.bind('127.0.0.1:0');
    const sender = await sockets.bind('127.0.0.1:0');
    const to = receiver.localEndpoint;
    await assert.rejects(
      sender.sendToMany('not a list' as unknown as string[], to),
      (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'datagrams',
    );
    await assert.rejects(
      sender.sendToMany(['fine', 42 as unknown as string], to),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        e.argument === 'datagrams[1]' &&
        /datagrams\[1\] must be a string or a Uint8Array/.test(e.message),
    );
    await assert.rejects(
      sender.sendToMany(['fine'], to, { encoding: 'klingon' as BufferEncoding }),
      (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'encoding',
    );
    const tooMany = Array.from({ length: MAX_SEND_MANY + 1 }, () => 'x');
    await assert.rejects(sender.sendToMany(tooMany, to), (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError, String(e));
      assert.equal(e.argument, 'datagrams');
      assert.match(
        e.message,
        new RegExp(`at most ${MAX_SEND_MANY} datagrams, got ${MAX_SEND_MANY + 1}`),
      );
      return true;
    });
    const big = Buffer.alloc(MAX_DATAGRAM_SIZE.IPv4 + 1);
    await assert.rejects(
      sender.sendToMany(['fine', big], to),
      (e: unknown) => e instanceof MessageTooLargeError && e.size === big.length,
    );
    await assert.rejects(
      sender.sendToMany(['fine'], { host: '127.0.0.1', port: 0 }),
      (e: unknown) => e instanceof SocketError && /port 0/.test(e.message),
    );
    await nothingBefore(sender, receiver);
    assert.equal(sender.stats.datagramsSent, 1);
  });

  it('rejects a batch the system refuses with the mapped error, counting nothing as sent', async () => {
    const receiver = await sockets.bind('0.0.0.0:0');
    const sender = await sockets.bind('127.0.0.1:0');
    // The broadcast address of lo's 127.0.0.0/8, refused without setBroadcast: nothing leaves.
    const to = { host: '127.255.255.255', port: receiver.localEndpoint.port };
    await assert.rejects(sender.sendToMany(['a', 'b', 'c'], to), (e: unknown) => {
      assert.ok(e instanceof PermissionDeniedError, String(e));
      assert.match(e.message, /setBroadcast/);
      return true;
    });
    assert.equal(sender.stats.datagramsSent, 0);
  });

  it('puts on the wire a batch that close() follows at once, and refuses later ones', async () => {
    const receiver = await sockets.bind('127.0.0.1:0');
    const sender = await sockets.bind('127.0.0.1:0');
    // The batch is handed to the system during the call (natively in one sendmmsg, over
    // node:dgram one datagram at a time), so a close in the same tick does not take it back.
    const batch = sender.sendToMany(['a', 'b', 'c'], receiver.localEndpoint);
    const closed = sender.close();
    assert.equal(await within(batch, 5_000, 'the batch'), 3);
    await within(closed, 5_000, 'close');
    assert.equal(sender.stats.datagramsSent, 3);
    assert.deepEqual(await receiveTexts(receiver, 3), ['a', 'b', 'c']);
    await assert.rejects(sender.sendToMany(['late'], receiver.localEndpoint), SocketClosedError);
  });

  it('refuses a connected socket with EISCONN, pointing to sendMany', async () => {
    const receiver = await sockets.bind('127.0.0.1:0');
    const sender = await sockets.bind('127.0.0.1:0');
    await sender.connect(receiver.localEndpoint);
    await assert.rejects(
      sender.sendToMany(['x'], receiver.localEndpoint),
      (e: unknown) =>
        e instanceof SocketError && e.code === 'EISCONN' && /sendMany\(\)/.test(e.message),
    );
  });
});

describe('DatagramSocket.sendMany', () => {
  it('sends each element to the connected peer, in order', async () => {
    const receiver = await sockets.bind('127.0.0.1:0');
    const sender = await sockets.bind('127.0.0.1:0');
    await sender.connect(receiver.localEndpoint);
    assert.equal(await sender.sendMany(['one', Buffer.from('two')]), 2);
    assert.deepEqual(await receiveTexts(receiver, 2), ['one', 'two']);
    assert.equal(sender.stats.datagramsSent, 2);
  });

  it('refuses a socket that is not connected with EDESTADDRREQ, and bad elements', async () => {
    const sender = await sockets.bind('127.0.0.1:0');
    await assert.rejects(
      sender.sendMany(['x']),
      (e: unknown) => e instanceof SocketError && e.code === 'EDESTADDRREQ',
    );
    const receiver = await sockets.bind('127.0.0.1:0');
    await sender.connect(receiver.localEndpoint);
    await assert.rejects(
      sender.sendMany([null as unknown as string]),
      (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'datagrams[0]',
    );
  });

  it('holds an IPv6 socket connected to an IPv4-mapped address to the IPv4 limit', async (t) => {
    if (await unavailable(t, 'IPv6')) return;
    const receiver = await sockets.bind('127.0.0.1:0');
    // Dual-stack whatever net.ipv6.bindv6only says, so that it can reach IPv4-mapped addresses.
    const sender = await sockets.bind('[::]:0', { ipv6Only: false });
    await sender.connect({ host: '::ffff:127.0.0.1', port: receiver.localEndpoint.port });
    await assert.rejects(sender.sendMany(['fine', Buffer.alloc(65508)]), (e: unknown) => {
      assert.ok(e instanceof MessageTooLargeError, String(e));
      assert.equal(e.limit, 65507);
      assert.match(e.message, /IPv4-mapped.*nothing was sent/);
      return true;
    });
    assert.equal(sender.stats.datagramsSent, 0);
    assert.equal(await sender.sendMany([Buffer.alloc(65507, 1)]), 1);
    assert.equal((await recv(receiver)).data.length, 65507);
  });
});

describe('DatagramSocket.recvMany', () => {
  it('takes the held datagrams in order, at most maxDatagrams at a time', async () => {
    const receiver = await sockets.bind('127.0.0.1:0', { kernelReceiveBufferSize: RECV_BUFFER });
    const sender = await sockets.bind('127.0.0.1:0');
    const texts = Array.from({ length: 100 }, (_, i) => `datagram ${i}`);
    await sender.sendToMany(texts, receiver.localEndpoint);
    const received: string[] = [];
    for (let calls = 0; received.length < texts.length && calls < texts.length; calls++) {
      const batch = await within(receiver.recvMany(30), 5_000, 'a batch');
      assert.ok(batch.length >= 1 && batch.length <= 30, `a batch of ${batch.length}`);
      for (const { data, sender: from, truncated } of batch) {
        received.push(data.toString());
        assert.deepEqual(from, sender.localEndpoint);
        assert.equal(truncated, false);
      }
    }
    assert.deepEqual(received, texts);
    assert.equal(receiver.stats.datagramsReceived, texts.length);
  });

  it('waits for the next datagram when none is held, within its timeout', async () => {
    const receiver = await sockets.bind('127.0.0.1:0');
    const sender = await sockets.bind('127.0.0.1:0');
    const waiting = within(receiver.recvMany(), 5_000, 'a batch');
    await sender.sendTo('late', receiver.localEndpoint);
    const batch = await waiting;
    assert.deepEqual(
      batch.map((d) => d.data.toString()),
      ['late'],
    );
    await assert.rejects(receiver.recvMany(64, { timeout: 20 }), (e: unknown) => {
      assert.ok(e instanceof TimeoutError, String(e));
      // The error names the call and the socket's own address.
      assert.match(
        e.message,
        new RegExp(`recvMany on 127\\.0\\.0\\.1:${receiver.localEndpoint.port}`),
      );
      return true;
    });
    // The receive that timed out took nothing: the next datagram goes to the next receive.
    await sender.sendTo('next', receiver.localEndpoint);
    assert.equal((await recv(receiver)).data.toString(), 'next');
  });

  it('takes the datagrams that come with its first before a receive made after it gets one', async () => {
    const receiver = await sockets.bind('127.0.0.1:0', { kernelReceiveBufferSize: RECV_BUFFER });
    const sender = await sockets.bind('127.0.0.1:0');
    const many = within(receiver.recvMany(), 5_000, 'a batch');
    const one = within(receiver.recvFrom(), 5_000, 'the receive after it');
    await sender.sendToMany(['1', '2', '3', '4'], receiver.localEndpoint);
    const batch = await many;
    // Sent once the batch is in: the receive made after recvMany has a datagram to wait for.
    await sender.sendTo('5', receiver.localEndpoint);
    const texts = [...batch.map((d) => d.data.toString()), (await one).data.toString()];
    for (let calls = 0; texts.length < 5 && calls < 5; calls++) {
      for (const d of await within(receiver.recvMany(), 5_000, 'the rest')) {
        texts.push(d.data.toString());
      }
    }
    // Receives are served in the order they were made: the batch is the first datagrams, the
    // receive after it the next one.
    assert.deepEqual(texts, ['1', '2', '3', '4', '5']);
  });

  it('refuses a bad maxDatagrams and fails with SocketClosedError once closed', async () => {
    const receiver = await sockets.bind('127.0.0.1:0');
    for (const bad of [0, -1, 1.5, '8' as unknown as number]) {
      await assert.rejects(
        receiver.recvMany(bad),
        (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'maxDatagrams',
      );
    }
    const waiting = receiver.recvMany();
    await receiver.close();
    await assert.rejects(within(waiting, 5_000, 'the receive to fail'), SocketClosedError);
    await assert.rejects(receiver.recvMany(), SocketClosedError);
  });
});
