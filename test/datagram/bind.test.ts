import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { within } from '../helpers/bounded.js';
import {
  AddressInUseError,
  AddressNotAvailableError,
  DatagramSocket,
  DEFAULT_RECEIVE_QUEUE_LIMIT,
  InvalidEndpointError,
  PermissionDeniedError,
  InvalidArgumentError,
} from '../../src/index.js';
import type { DatagramSocketOptions, EndpointLike } from '../../src/index.js';
import { FAMILIES, recv, socketTracker, unavailable } from './sockets.js';

const sockets = socketTracker();
const run = promisify(execFile);

describe('DatagramSocket.bind', () => {
  it('binds 0.0.0.0 and a port the system chooses by default', async () => {
    const socket = await sockets.bind();
    assert.equal(socket.family, 'IPv4');
    assert.equal(socket.localEndpoint.host, '0.0.0.0');
    assert.ok(socket.localEndpoint.port >= 1024, `port ${socket.localEndpoint.port}`);
    assert.equal(socket.remoteEndpoint, undefined);
    assert.equal(socket.maxMessageSize, 65507);
    assert.equal(socket.receiveQueueLimit, DEFAULT_RECEIVE_QUEUE_LIMIT);
  });

  it("binds :: when asked for family 'IPv6', and makes an IPv6 socket for an IPv6 literal", async (t) => {
    if (await unavailable(t, 'IPv6')) return;
    const any = await sockets.bind(undefined, { family: 'IPv6' });
    assert.equal(any.family, 'IPv6');
    assert.equal(any.localEndpoint.host, '::');
    assert.equal(any.maxMessageSize, 65527);
    const literal = await sockets.bind('[::1]:0');
    assert.equal(literal.family, 'IPv6');
    assert.equal(literal.localEndpoint.host, '::1');
  });

  it('binds the IPv6 address given as bare text ("::1", "::"), not 0.0.0.0', async (t) => {
    if (await unavailable(t, 'IPv6')) return;
    for (const text of ['::1', '::']) {
      const socket = await sockets.bind(text);
      assert.equal(socket.family, 'IPv6', text);
      assert.equal(socket.localEndpoint.host, text);
      const client = await sockets.bind('[::1]:0');
      await client.sendTo(text, { host: '::1', port: socket.localEndpoint.port });
      assert.equal((await recv(socket)).data.toString(), text);
    }
  });

  it('resolves a host name (localhost) in the socket family', async () => {
    const socket = await sockets.bind({ host: 'localhost' });
    assert.deepEqual(socket.localEndpoint.host, '127.0.0.1');
    const client = await sockets.bind('127.0.0.1:0');
    await client.sendTo('by name', { host: 'localhost', port: socket.localEndpoint.port });
    assert.equal((await recv(socket)).data.toString(), 'by name');
  });

  it('returns a copy of its endpoint, which callers cannot change', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    const endpoint = socket.localEndpoint;
    endpoint.port = 1;
    assert.notEqual(socket.localEndpoint.port, 1);
  });

  for (const { family, loopback } of FAMILIES) {
    it(`${family}: rejects a port that is taken with AddressInUseError naming it`, async (t) => {
      if (await unavailable(t, family)) return;
      const first = await sockets.bind({ host: loopback, port: 0 });
      const endpoint = first.localEndpoint;
      const error = await DatagramSocket.bind(endpoint).then(
        (s) => {
          void s.close();
          assert.fail('a second bind of a taken port succeeded');
        },
        (e: unknown) => e,
      );
      assert.ok(error instanceof AddressInUseError, String(error));
      assert.deepEqual(error.endpoint, endpoint);
      assert.match(error.message, new RegExp(String(endpoint.port)));
    });

    it(`${family}: lets sockets that all ask for reuseAddress share a port`, async (t) => {
      if (await unavailable(t, family)) return;
      const first = await sockets.bind({ host: loopback, port: 0 }, { reuseAddress: true });
      const second = await sockets.bind(first.localEndpoint, { reuseAddress: true });
      assert.deepEqual(second.localEndpoint, first.localEndpoint);
    });

    it(`${family}: rejects an address that is not this machine's with AddressNotAvailableError`, async (t) => {
      if (await unavailable(t, family)) return;
      // Documentation-only addresses (RFC 5737, RFC 3849): binding sends nothing anywhere.
      const foreign = family === 'IPv4' ? '192.0.2.1' : '2001:db8::1';
      await assert.rejects(DatagramSocket.bind({ host: foreign, port: 0 }), (e: unknown) => {
        assert.ok(e instanceof AddressNotAvailableError, String(e));
        assert.equal(e.endpoint?.host, foreign);
        return true;
      });
    });
  }

  it('maps a reserved port bound without privileges to PermissionDeniedError', async (t) => {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    if (start <= 80) {
      t.skip(`ip_unprivileged_port_start is ${start}: port 80 is bindable by anyone here`);
      return;
    }
    // The tests may run as root; the bind is then tried by a child that drops to nobody.
    const asRoot = process.getuid?.() === 0;
    const dsock = new URL('../../src/index.js', import.meta.url).href;
    const script =
      `const { DatagramSocket } = await import(${JSON.stringify(dsock)});` +
      "try { const s = await DatagramSocket.bind('127.0.0.1:80'); await s.close(); console.log('{}'); }" +
      'catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message })); }';
    let stdout: string;
    try {
      ({ stdout } = await within(
        run(process.execPath, ['--input-type=module', '-e', script], {
          timeout: 10_000,
          ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
        }),
        15_000,
        'the unprivileged bind child',
      ));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (asRoot && (code === 'EPERM' || code === 'EACCES')) {
        t.skip(`running as root and cannot start a child as nobody (${String(code)})`);
        return;
      }
      throw error;
    }
    const outcome = JSON.parse(stdout) as { name?: string; message?: string };
    assert.equal(outcome.name, PermissionDeniedError.name, stdout);
    assert.match(outcome.message ?? '', /127\.0\.0\.1:80.*1-1023/);
  });

  it('with ipv6Only, leaves the IPv4 side of the port free', async (t) => {
    if (await unavailable(t, 'IPv6')) return;
    const v6 = await sockets.bind('[::]:0', { ipv6Only: true });
    const v4 = await sockets.bind({ host: '0.0.0.0', port: v6.localEndpoint.port });
    assert.equal(v4.localEndpoint.port, v6.localEndpoint.port);
    const dual = await sockets.bind('[::]:0');
    await assert.rejects(
      DatagramSocket.bind({ host: '0.0.0.0', port: dual.localEndpoint.port }),
      AddressInUseError,
    );
  });

  it('applies the kernel buffer sizes asked for', async () => {
    const plain = await sockets.bind('127.0.0.1:0');
    const sized = await sockets.bind('127.0.0.1:0', {
      kernelReceiveBufferSize: 16384,
      kernelSendBufferSize: 16384,
    });
    // Linux doubles the value for its bookkeeping; either way it is at least what was asked
    // and differs from the default.
    assert.ok(
      sized.kernelReceiveBufferSize >= 16384,
      `kernelReceiveBufferSize ${sized.kernelReceiveBufferSize}`,
    );
    assert.ok(
      sized.kernelSendBufferSize >= 16384,
      `kernelSendBufferSize ${sized.kernelSendBufferSize}`,
    );
    assert.notEqual(sized.kernelReceiveBufferSize, plain.kernelReceiveBufferSize);
    assert.notEqual(sized.kernelSendBufferSize, plain.kernelSendBufferSize);
  });

  const badArguments: [string, EndpointLike | undefined, DatagramSocketOptions, RegExp][] = [
    ['a malformed host', 'no such host!:0', {}, /invalid host/],
    ['a port out of range', '127.0.0.1:70000', {}, /invalid port/],
    ['an IPv6 host on an IPv4 socket', '[::1]:0', { family: 'IPv4' }, /IPv6 address.*IPv4/],
    ['an IPv4 host on an IPv6 socket', '127.0.0.1:0', { family: 'IPv6' }, /IPv4 address/],
  ];
  for (const [what, local, options, message] of badArguments) {
    it(`refuses ${what} with InvalidEndpointError`, async () => {
      await assert.rejects(DatagramSocket.bind(local, options), (e: unknown) => {
        assert.ok(e instanceof InvalidEndpointError, String(e));
        assert.match(e.message, message);
        return true;
      });
    });
  }

  const badOptions: [string, DatagramSocketOptions, typeof InvalidArgumentError, RegExp][] = [
    ['an unknown family', { family: 'IPv5' as 'IPv4' }, InvalidArgumentError, /family/],
    [
      'a non-boolean reuseAddress',
      { reuseAddress: 'yes' as unknown as boolean },
      InvalidArgumentError,
      /reuseAddress/,
    ],
    ['ipv6Only on IPv4', { ipv6Only: true }, InvalidArgumentError, /ipv6Only/],
    ['a zero receive queue', { receiveQueueLimit: 0 }, InvalidArgumentError, /receiveQueueLimit/],
    [
      'a fractional buffer size',
      { kernelReceiveBufferSize: 10.5 },
      InvalidArgumentError,
      /kernelReceiveBufferSize/,
    ],
    [
      'a negative buffer size',
      { kernelSendBufferSize: -1 },
      InvalidArgumentError,
      /kernelSendBufferSize/,
    ],
  ];
  for (const [what, options, type, message] of badOptions) {
    it(`refuses ${what} with ${type.name}`, async () => {
      await assert.rejects(DatagramSocket.bind('127.0.0.1:0', options), (e: unknown) => {
        assert.ok(e instanceof type, String(e));
        assert.match(e.message, message);
        return true;
      });
    });
  }
});
