import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ChaosRelay,
  DatagramSocket,
  InvalidEndpointError,
  MessageTooLargeError,
  ReliableDatagramSocket,
  SocketClosedError,
  TimeoutError,
  InvalidArgumentError,
} from '../../src/index.js';
import type { MessageTransport } from '../../src/apps/transport.js';
import { ipv6Available, NO_IPV6, until, within } from '../helpers/bounded.js';
import { activeTimers, Resources } from './helpers.js';

const resources = new Resources();
after(() => resources.closeAll());

async function pair(options = {}) {
  const a = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0', options));
  const b = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0', options));
  return { a, b };
}

describe('ReliableDatagramSocket', () => {
  it('runs on the datagram path the environment asks for, as a datagram socket does', async () => {
    const mode = process.env.DSOCK_NATIVE;
    if (mode === '1') assert.equal(DatagramSocket.nativeAvailable, true);
    if (mode === '0') assert.equal(DatagramSocket.nativeAvailable, false);
    const { a, b } = await pair();
    const expected = DatagramSocket.nativeAvailable ? 'native' : 'node:dgram';
    assert.equal(a.backend, expected);
    const plain = resources.add(await DatagramSocket.bind('127.0.0.1:0'));
    assert.equal(plain.backend, expected);
    // A window's worth of segments in one tick: on the native path they leave in batches.
    const sends = Array.from({ length: 300 }, (_, i) => a.sendTo(`m${i}`, b.localEndpoint));
    for (let i = 0; i < 300; i++) {
      assert.equal((await within(b.recvFrom(), 2000, `m${i}`)).data.toString(), `m${i}`);
    }
    await within(Promise.all(sends), 2000, 'the acknowledgements');
    assert.equal(a.stats.socketErrors, 0);
    assert.equal(b.stats.socketErrors, 0);
  });

  it('sends a message that resolves once acknowledged, and receives it whole', async () => {
    const { a, b } = await pair();
    const transport: MessageTransport = a; // the datagram apps run over it
    assert.equal(transport.maxMessageSize, 1024 * 1024);
    await within(a.sendTo('hello', b.localEndpoint), 2000, 'send');
    assert.equal(a.stats.messagesAcknowledged, 1);
    const message = await within(b.recvFrom(), 2000, 'receive');
    assert.deepEqual(message, {
      data: Buffer.from('hello'),
      sender: a.localEndpoint,
      truncated: false,
    });
    assert.equal(a.peerCount, 1);
    assert.ok((a.peerStats(b.localEndpoint)?.srtt ?? 0) > 0);
  });

  it('resolves each send with its length, also sends that waited for room in the send buffer', async () => {
    // A send buffer of 4 KiB holds the first messages; the rest wait for acknowledgements.
    const { a, b } = await pair({ sendBufferLimit: 4096 });
    const sizes = [1, 0, 1500, 3000, 700, 2500, 1200, 5];
    const sends = sizes.map((size) => a.sendTo(Buffer.alloc(size, size & 0xff), b.localEndpoint));
    const named = a.sendTo('by name', { host: 'localhost', port: b.localEndpoint.port });
    for (const size of sizes) {
      const { data } = await within(b.recvFrom(), 2000, `the message of ${size} B`);
      assert.deepEqual(data, Buffer.alloc(size, size & 0xff));
    }
    assert.equal((await within(b.recvFrom(), 2000, 'the named one')).data.toString(), 'by name');
    assert.deepEqual(await within(Promise.all(sends), 2000, 'the acknowledgements'), sizes);
    assert.equal(await within(named, 2000, 'the named acknowledgement'), 7);
  });

  it('works over IPv6 loopback, through a relay too', async (t) => {
    if (!(await ipv6Available())) {
      t.skip(NO_IPV6);
      return;
    }
    const a = resources.add(await ReliableDatagramSocket.bind('[::1]:0'));
    const b = resources.add(await ReliableDatagramSocket.bind('[::1]:0'));
    assert.equal(a.family, 'IPv6');
    const relay = resources.add(
      await ChaosRelay.start({
        listen: '[::1]:0',
        target: b.localEndpoint,
        faults: { loss: 0.1, seed: 4 },
      }),
    );
    const sends = Array.from({ length: 100 }, (_, i) => a.sendTo(`v6 ${i}`, relay.localEndpoint));
    for (let i = 0; i < 100; i++) {
      const { data, sender } = await within(b.recvFrom(), 5000, `message ${i}`);
      assert.equal(data.toString(), `v6 ${i}`);
      assert.equal(sender.host, '::1');
    }
    await within(Promise.all(sends), 5000, 'acknowledgements');
    await assert.rejects(a.sendTo('x', '127.0.0.1:9'), InvalidEndpointError);
  });

  it('cuts a message longer than bufsize, like a datagram socket', async () => {
    const { a, b } = await pair();
    await a.sendTo('0123456789', b.localEndpoint);
    const message = await within(b.recvFrom(4), 2000, 'receive');
    assert.equal(message.data.toString(), '0123');
    assert.equal(message.truncated, true);
    await assert.rejects(b.recvFrom(0), InvalidArgumentError);
  });

  it('refuses bad arguments with typed errors that name them', async () => {
    const { a, b } = await pair({ maxMessageSize: 100 });
    await assert.rejects(a.sendTo(Buffer.alloc(101), b.localEndpoint), (error: unknown) => {
      assert.ok(error instanceof MessageTooLargeError);
      assert.equal(error.size, 101);
      assert.equal(error.limit, 100);
      return true;
    });
    await assert.rejects(a.sendTo('x', { host: '127.0.0.1', port: 0 }), InvalidEndpointError);
    await assert.rejects(a.sendTo('x', 'not a host:99999'), InvalidEndpointError);
    await assert.rejects(a.sendTo(42 as unknown as string, b.localEndpoint), InvalidArgumentError);
    await assert.rejects(ReliableDatagramSocket.bind(0, { receiveWindow: 0 }), /receiveWindow/);
    await assert.rejects(ReliableDatagramSocket.bind(0, { fragmentSize: 70000 }), /fragmentSize/);
    // A flow has one peer, which acknowledges from its own address: broadcast cannot work.
    await assert.rejects(
      ReliableDatagramSocket.bind(0, { broadcast: true }),
      (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'broadcast',
    );
    await assert.rejects(
      ReliableDatagramSocket.bind(0, { broadcast: 'yes' as unknown as boolean }),
      (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'broadcast',
    );
    await assert.rejects(a.recvFrom(10, { timeout: -1 }), InvalidArgumentError);
    assert.equal(a.peerCount, 0, 'refused sends leave no state');
  });

  it('resolves a host name from /etc/hosts to the address replies come from', async () => {
    const { a, b } = await pair();
    await within(
      a.sendTo('by name', { host: 'localhost', port: b.localEndpoint.port }),
      2000,
      'send',
    );
    assert.equal((await within(b.recvFrom(), 2000, 'receive')).data.toString(), 'by name');
  });

  it('times out a receive and closes with pending receives rejected', async () => {
    const { a } = await pair();
    await assert.rejects(a.recvFrom(100, { timeout: 20 }), TimeoutError);
    const waiting = a.recvFrom();
    const closing = a.close();
    assert.equal(a.close(), closing, 'close is idempotent');
    await assert.rejects(within(waiting, 1000, 'the receive'), SocketClosedError);
    await within(closing, 1000, 'close');
    await assert.rejects(a.sendTo('late', 9), SocketClosedError);
    assert.equal(a.closed, true);
  });

  it('flushes unacknowledged messages at close', async () => {
    const { a, b } = await pair();
    const sends = Array.from({ length: 100 }, (_, i) => a.sendTo(`m${i}`, b.localEndpoint));
    await within(a.close(), 3000, 'close');
    await within(Promise.all(sends), 1000, 'every send acknowledged before close ended');
    for (let i = 0; i < 100; i++) {
      assert.equal((await within(b.recvFrom(), 1000, `m${i}`)).data.toString(), `m${i}`);
    }
  });

  it('tells the receiver as it closes: the FIN goes out, and the receiver forgets the sender', async () => {
    // Timers this long leave the FIN the only way the receiver learns that the flow ended.
    const { a, b } = await pair({ newFlowTimeout: 60_000, peerTimeout: 60_000 });
    const sent = a.sendTo('last words', b.localEndpoint);
    assert.equal((await within(b.recvFrom(), 2000, 'the message')).data.toString(), 'last words');
    await within(sent, 2000, 'the acknowledgement');
    assert.equal(b.peerCount, 1);
    // A close that overtook its own FIN left the receiver holding the flow for a minute.
    await within(a.close(), 2000, 'close');
    await until(() => b.peerCount === 0, 10_000, 'the receiver forgets the sender');
  });

  it('takes Infinity as no limit, like the other sockets, and refuses longer finite timeouts', async () => {
    const { a, b } = await pair();
    const receiving = b.recvFrom(100, { timeout: Infinity });
    await a.sendTo('no limit', b.localEndpoint);
    assert.equal((await within(receiving, 2000, 'the receive')).data.toString(), 'no limit');
    await assert.rejects(b.recvFrom(100, { timeout: 2 ** 31 }), InvalidArgumentError);
    await within(a.close({ timeout: Infinity }), 2000, 'a close without a limit, all acknowledged');
  });

  it('rejects what a gone peer did not acknowledge when the close timeout expires', async () => {
    const { a } = await pair({ peerTimeout: 60_000 });
    const nobody = resources.add(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    const port = nobody.localEndpoint.port;
    await nobody.close({ timeout: 0 });
    const send = a.sendTo('into the void', port);
    const started = performance.now();
    await within(a.close({ timeout: 100 }), 2000, 'close');
    assert.ok(performance.now() - started >= 95);
    await assert.rejects(send, SocketClosedError);
  });

  it('yields messages to for await until closed', async () => {
    const { a, b } = await pair();
    for (let i = 0; i < 3; i++) await a.sendTo(`m${i}`, b.localEndpoint);
    const seen: string[] = [];
    await within(
      (async () => {
        for await (const { data } of b) {
          seen.push(data.toString());
          if (seen.length === 3) void b.close();
        }
      })(),
      2000,
      'iteration',
    );
    assert.deepEqual(seen, ['m0', 'm1', 'm2']);
  });

  it('leaves no timer and no state behind once closed', async () => {
    const timersBefore = activeTimers();
    const a = await ReliableDatagramSocket.bind('127.0.0.1:0');
    const b = await ReliableDatagramSocket.bind('127.0.0.1:0');
    const sends = Array.from({ length: 50 }, (_, i) => a.sendTo(`m${i}`, b.localEndpoint));
    await b.sendTo('the other way', a.localEndpoint);
    await within(Promise.all(sends), 2000, 'sends');
    assert.ok(activeTimers() > timersBefore, 'flows keep their peer timers while open');
    await within(Promise.all([a.close(), b.close()]), 3000, 'close');
    assert.equal(a.peerCount, 0);
    assert.equal(b.peerCount, 0);
    assert.equal(activeTimers(), timersBefore);
  });

  it('closes with await using', async () => {
    let socket: ReliableDatagramSocket | undefined;
    {
      await using s = await ReliableDatagramSocket.bind('127.0.0.1:0');
      socket = s;
    }
    assert.equal(socket.closed, true);
  });
});
