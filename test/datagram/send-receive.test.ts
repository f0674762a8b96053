import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { within } from '../helpers/bounded.js';
import { createNetns, nodeInNetns } from '../helpers/netns.js';
import {
  AbortError,
  InvalidEndpointError,
  MAX_DATAGRAM_SIZE,
  MessageTooLargeError,
  TimeoutError,
  InvalidArgumentError,
} from '../../src/index.js';
import type { DatagramSocket, EndpointLike } from '../../src/index.js';
import { FAMILIES, recv, socketTracker, unavailable } from './sockets.js';

const sockets = socketTracker();

async function pair(host = '127.0.0.1'): Promise<[DatagramSocket, DatagramSocket]> {
  return [await sockets.bind({ host }), await sockets.bind({ host })];
}

describe('DatagramSocket.sendTo and recvFrom', () => {
  it('sends strings as UTF-8 and accepts bytes', async () => {
    const [a, b] = await pair();
    assert.equal(await a.sendTo('héllo', b.localEndpoint), 6);
    assert.deepEqual((await recv(b)).data, Buffer.from('héllo', 'utf8'));
    assert.equal(await a.sendTo(new Uint8Array([1, 2, 3]), b.localEndpoint), 3);
    assert.deepEqual((await recv(b)).data, Buffer.from([1, 2, 3]));
  });

  it('encodes a string with the encoding asked for', async () => {
    const [a, b] = await pair();
    assert.equal(await a.sendTo('68656c6c6f', b.localEndpoint, { encoding: 'hex' }), 5);
    assert.equal((await recv(b)).data.toString(), 'hello');
    await a.sendTo('é', b.localEndpoint, { encoding: 'latin1' });
    assert.deepEqual((await recv(b)).data, Buffer.from([0xe9]));
  });

  it('refuses an unknown encoding and data that is not text or bytes', async () => {
    const [a, b] = await pair();
    await assert.rejects(
      a.sendTo('x', b.localEndpoint, { encoding: 'klingon' as BufferEncoding }),
      (e: unknown) => e instanceof InvalidArgumentError && /encoding/.test(e.message),
    );
    await assert.rejects(
      a.sendTo(42 as unknown as string, b.localEndpoint),
      (e: unknown) => e instanceof InvalidArgumentError && /data must be/.test(e.message),
    );
  });

  it('carries an empty datagram', async () => {
    const [a, b] = await pair();
    assert.equal(await a.sendTo('', b.localEndpoint), 0);
    const { data, truncated } = await recv(b);
    assert.equal(data.length, 0);
    assert.equal(truncated, false);
  });

  it('reaches the loopback address when the destination names only a port', async () => {
    const [a, b] = await pair();
    await a.sendTo('port only', b.localEndpoint.port);
    assert.equal((await recv(b)).data.toString(), 'port only');
  });

  it('truncates a datagram longer than bufsize and discards the rest (held and awaited)', async () => {
    const [a, b] = await pair();
    const long = Buffer.alloc(100, 7);
    await a.sendTo(long, b.localEndpoint);
    await a.sendTo('next', b.localEndpoint);
    const first = await recv(b, 10);
    assert.deepEqual(first.data, long.subarray(0, 10));
    assert.equal(first.truncated, true);
    // The rest of the first datagram is gone: the next receive gets the next datagram.
    const second = await recv(b, 10);
    assert.equal(second.data.toString(), 'next');
    assert.equal(second.truncated, false);

    const waiting = recv(b, 3);
    await a.sendTo('abcdef', b.localEndpoint);
    const cut = await waiting;
    assert.equal(cut.data.toString(), 'abc');
    assert.equal(cut.truncated, true);
    assert.equal(b.stats.datagramsTruncated, 2);
  });

  for (const bad of [0, -1, 1.5, Number.NaN, '10']) {
    it(`refuses bufsize ${String(bad)} with InvalidArgumentError`, async () => {
      const [, b] = await pair();
      await assert.rejects(
        b.recvFrom(bad as number),
        (e: unknown) => e instanceof InvalidArgumentError && /bufsize/.test(e.message),
      );
    });
  }

  it('delivers datagrams to concurrent receivers in order, each exactly once', async () => {
    const [a, b] = await pair();
    const receives = Array.from({ length: 5 }, () => b.recvFrom());
    for (let i = 0; i < 5; i++) await a.sendTo(`datagram ${i}`, b.localEndpoint);
    const received = await within(Promise.all(receives), 5_000, 'five receives');
    assert.deepEqual(
      received.map((d) => d.data.toString()),
      [0, 1, 2, 3, 4].map((i) => `datagram ${i}`),
    );
    await a.sendTo('marker', b.localEndpoint);
    assert.equal((await recv(b)).data.toString(), 'marker', 'no datagram was delivered twice');
  });

  for (const { family, loopback } of FAMILIES) {
    const limit = MAX_DATAGRAM_SIZE[family];

    it(`${family}: carries a datagram of exactly ${limit} bytes intact`, async (t) => {
      if (await unavailable(t, family)) return;
      const [a, b] = await pair(loopback);
      const payload = Buffer.alloc(limit);
      for (let i = 0; i < limit; i++) payload[i] = (i * 31) & 0xff;
      assert.equal(await a.sendTo(payload, b.localEndpoint), limit);
      const { data, truncated } = await recv(b);
      assert.equal(truncated, false);
      assert.ok(data.equals(payload), 'the payload arrived unchanged');
    });

    it(`${family}: refuses ${limit + 1} bytes before sending anything`, async (t) => {
      if (await unavailable(t, family)) return;
      const [a, b] = await pair(loopback);
      await assert.rejects(a.sendTo(Buffer.alloc(limit + 1), b.localEndpoint), (e: unknown) => {
        assert.ok(e instanceof MessageTooLargeError, String(e));
        assert.equal(e.size, limit + 1);
        assert.equal(e.limit, limit);
        assert.deepEqual(e.endpoint, b.localEndpoint);
        return true;
      });
      assert.equal(a.stats.datagramsSent, 0);
      await a.sendTo('marker', b.localEndpoint);
      assert.equal((await recv(b)).data.toString(), 'marker', 'the oversize datagram was not sent');
    });
  }

  it('holds an IPv6 socket sending to an IPv4-mapped address to the IPv4 limit', async (t) => {
    if (await unavailable(t, 'IPv6')) return;
    const receiver = await sockets.bind('127.0.0.1:0');
    // Dual-stack whatever net.ipv6.bindv6only says, so that it can reach IPv4-mapped addresses.
    const sender = await sockets.bind('[::]:0', { ipv6Only: false });
    const to = { host: '::ffff:127.0.0.1', port: receiver.localEndpoint.port };
    await assert.rejects(sender.sendTo(Buffer.alloc(65508), to), (e: unknown) => {
      assert.ok(e instanceof MessageTooLargeError, String(e));
      assert.equal(e.limit, 65507);
      assert.match(e.message, /IPv4-mapped.*nothing was sent/);
      return true;
    });
    assert.equal(await sender.sendTo(Buffer.alloc(65507, 1), to), 65507);
    const { data, sender: from } = await recv(receiver);
    assert.equal(data.length, 65507);
    assert.equal(from.port, sender.localEndpoint.port);
  });

  const badDestinations: [string, EndpointLike, RegExp][] = [
    ['an unparsable endpoint', '1.2.3:x:y', /invalid endpoint|invalid host|invalid port/],
    ['port 0', '127.0.0.1:0', /port 0/],
    ['a port out of range', { host: '127.0.0.1', port: 65536 }, /invalid port/],
    ['an IPv6 address on an IPv4 socket', '[::1]:9', /IPv6 address.*IPv4/],
    ['a malformed host', { host: 'bad host', port: 9 }, /invalid host/],
  ];
  for (const [what, to, message] of badDestinations) {
    it(`refuses ${what} as destination with InvalidEndpointError`, async () => {
      const [a] = await pair();
      await assert.rejects(a.sendTo('x', to), (e: unknown) => {
        assert.ok(e instanceof InvalidEndpointError, String(e));
        assert.match(e.message, message);
        return true;
      });
    });
  }

  it('settles each of many sends in flight with its own outcome, round after round', async () => {
    const receiver = await sockets.bind('0.0.0.0:0', { kernelReceiveBufferSize: 1 << 20 });
    const sender = await sockets.bind('127.0.0.1:0');
    const port = receiver.localEndpoint.port;
    // lo's broadcast address, refused without setBroadcast: nothing leaves.
    const refused = { host: '127.255.255.255', port };
    const accepted = { host: '127.0.0.1', port };
    for (let round = 0; round < 5; round++) {
      // Sends in flight at once, refused and accepted ones mixed, each of its own size.
      const outcomes = await within(
        Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            sender.sendTo('x'.repeat(i + 1), i % 3 === 0 ? refused : accepted).then(
              (bytes) => `sent ${bytes}`,
              (error: unknown) =>
                `${(error as Error).name} ${(error as { endpoint?: { host: string } }).endpoint?.host}`,
            ),
          ),
        ),
        5_000,
        'the sends',
      );
      assert.deepEqual(
        outcomes,
        Array.from({ length: 40 }, (_, i) =>
          i % 3 === 0 ? 'PermissionDeniedError 127.255.255.255' : `sent ${i + 1}`,
        ),
      );
    }
    assert.equal(sender.stats.datagramsSent, 5 * 26);
  });

  it('checks a destination object again when its host changes', async () => {
    const [a, b] = await pair();
    const to = { host: '127.0.0.1', port: b.localEndpoint.port };
    await a.sendTo('one', to);
    to.host = 'bad host';
    await assert.rejects(a.sendTo('two', to), InvalidEndpointError);
    to.host = '127.0.0.1';
    to.port = 0;
    await assert.rejects(a.sendTo('three', to), InvalidEndpointError);
    assert.equal((await recv(b)).data.toString(), 'one');
  });
});

describe('DatagramSocket.sendTo a host name', () => {
  /** Receives `count` datagrams and returns their payloads as text, in arrival order. */
  async function receiveTexts(socket: DatagramSocket, count: number): Promise<string[]> {
    const texts: string[] = [];
    for (let i = 0; i < count; i++) texts.push((await recv(socket)).data.toString());
    return texts;
  }

  it('sends datagrams to a name in the order of the calls, unawaited', async () => {
    const a = await sockets.bind({ host: '127.0.0.1' });
    // The 256 datagrams reach b's kernel queue before b reads any: about 830 B each there,
    // a little more than the default queue holds.
    const b = await sockets.bind({ host: '127.0.0.1' }, { kernelReceiveBufferSize: 1 << 20 });
    const to = `localhost:${b.localEndpoint.port}`;
    const expected = Array.from({ length: 256 }, (_, i) => String(i));
    const sends = expected.map((text) => a.sendTo(text, to));
    await within(Promise.all(sends), 5_000, 'the sends');
    assert.deepEqual(await receiveTexts(b, expected.length), expected);
    assert.equal(b.stats.datagramsDropped, 0);
  });

  it('keeps the order of sends mixing names and addresses while a name is looked up', async () => {
    const [a, b] = await pair();
    const { port } = b.localEndpoint;
    const hosts = ['localhost', '127.0.0.1', { host: 'localhost', port }];
    const expected = Array.from({ length: 64 }, (_, i) => String(i));
    const sends = expected.map((text, i) => {
      const host = hosts[i % hosts.length] as string | { host: string; port: number };
      return a.sendTo(text, typeof host === 'string' ? `${host}:${port}` : host);
    });
    await within(Promise.all(sends), 5_000, 'the sends');
    assert.deepEqual(await receiveTexts(b, expected.length), expected);
    assert.equal(a.stats.datagramsSent, expected.length);
  });

  it('rejects every send to a name that does not resolve, and sends the rest (fresh network namespace)', async (t) => {
    const netns = await createNetns();
    if (typeof netns === 'string') return t.skip(netns);
    const child = nodeInNetns(
      netns,
      new URL('./fixtures/netns-send.js', import.meta.url),
      'dsock-no-such-host.invalid',
    );
    try {
      const outcome = JSON.parse(await child.nextLine(15_000)) as {
        byName: { name?: string; code?: string; hostname?: string; message?: string }[];
        literal: { sent?: number; name?: string };
      };
      assert.equal(outcome.byName.length, 3);
      for (const sent of outcome.byName) {
        assert.equal(sent.name, 'NameResolutionError', JSON.stringify(sent));
        assert.equal(sent.hostname, 'dsock-no-such-host.invalid');
        assert.match(sent.message ?? '', /dsock-no-such-host\.invalid:9/);
      }
      // Not held back for good by the failed lookup: the system answers it (lo is down).
      assert.ok(outcome.literal.sent !== undefined || outcome.literal.name !== undefined);
      assert.notEqual(outcome.literal.name, 'NameResolutionError');
    } finally {
      await child.close();
      await netns.delete();
    }
  });
});

describe('DatagramSocket.recvFrom timeout and abort', () => {
  it('rejects with TimeoutError and takes no datagram', async () => {
    const [a, b] = await pair();
    const started = Date.now();
    await assert.rejects(b.recvFrom(100, { timeout: 30 }), (e: unknown) => {
      assert.ok(e instanceof TimeoutError, String(e));
      assert.equal(e.timeout, 30);
      return true;
    });
    assert.ok(Date.now() - started >= 25, 'waited for the timeout');
    await a.sendTo('after the timeout', b.localEndpoint);
    assert.equal((await recv(b)).data.toString(), 'after the timeout');
  });

  it('serves a held datagram at once even with a timeout', async () => {
    const [a, b] = await pair();
    await a.sendTo('held', b.localEndpoint);
    await a.sendTo('marker', b.localEndpoint);
    assert.equal((await recv(b)).data.toString(), 'held');
    const second = await within(b.recvFrom(100, { timeout: 1 }), 5_000, 'held datagram');
    assert.equal(second.data.toString(), 'marker');
  });

  it('rejects with AbortError when the signal fires, and a given-up receive takes nothing', async () => {
    const [a, b] = await pair();
    const controller = new AbortController();
    const abandoned = b.recvFrom(100, { signal: controller.signal });
    const kept = b.recvFrom();
    controller.abort();
    await assert.rejects(abandoned, AbortError);
    await a.sendTo('for the second receive', b.localEndpoint);
    assert.equal(
      (await within(kept, 5_000, 'second receive')).data.toString(),
      'for the second receive',
    );
  });

  it('rejects at once with a signal aborted beforehand, leaving a held datagram held', async () => {
    const [a, b] = await pair();
    await a.sendTo('held', b.localEndpoint);
    await a.sendTo('marker', b.localEndpoint);
    assert.equal((await recv(b)).data.toString(), 'held');
    await a.sendTo('still held', b.localEndpoint);
    await assert.rejects(b.recvFrom(100, { signal: AbortSignal.abort() }), AbortError);
    assert.equal((await recv(b)).data.toString(), 'marker');
    assert.equal((await recv(b)).data.toString(), 'still held');
  });

  for (const timeout of [-1, Number.NaN, 2 ** 31, 1e12, -Infinity, 'soon']) {
    it(`refuses timeout ${String(timeout)} with InvalidArgumentError naming the limit`, async () => {
      const [, b] = await pair();
      await assert.rejects(
        b.recvFrom(100, { timeout: timeout as number }),
        (e: unknown) =>
          e instanceof InvalidArgumentError && /timeout.*0 to 2147483647/.test(e.message),
      );
    });
  }

  it('waits without a limit for timeout Infinity', async () => {
    const [a, b] = await pair();
    const receiving = b.recvFrom(100, { timeout: Infinity });
    await a.sendTo('no hurry', b.localEndpoint);
    assert.equal((await within(receiving, 5_000, 'datagram')).data.toString(), 'no hurry');
  });
});

describe('DatagramSocket.stats', () => {
  it('counts datagrams and bytes sent, received and truncated', async () => {
    const [a, b] = await pair();
    await a.sendTo('12345', b.localEndpoint);
    await a.sendTo('1234567890', b.localEndpoint);
    await recv(b);
    await recv(b, 4);
    assert.deepEqual(a.stats, {
      datagramsReceived: 0,
      bytesReceived: 0,
      datagramsDropped: 0,
      datagramsTruncated: 0,
      datagramsSent: 2,
      bytesSent: 15,
    });
    assert.deepEqual(b.stats, {
      datagramsReceived: 2,
      bytesReceived: 15,
      datagramsDropped: 0,
      datagramsTruncated: 1,
      datagramsSent: 0,
      bytesSent: 0,
    });
  });
});
