import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import {
  AddressInUseError,
  AddressNotAvailableError,
  InvalidEndpointError,
  PermissionDeniedError,
  SocketError,
  InvalidArgumentError,
} from '../../src/index.js';
import type { DatagramSocket } from '../../src/index.js';
import { numberedDatagrams } from './segments.js';
import { recv, socketTracker, unavailable } from './sockets.js';

const sockets = socketTracker();

/**
 * Datagrams of one size with a shorter last, more than one window long: the native path sends
 * such a run as segmented messages, which the receiver must still get apart and in order.
 */
const RUN = numberedDatagrams([...Array<number>(130).fill(300), 120]);

async function receivesRun(receiver: DatagramSocket): Promise<void> {
  for (const [i, expected] of RUN.entries()) {
    const { data } = await recv(receiver, 2048);
    assert.ok(data.equals(expected), `datagram ${i}: ${data.length} bytes`);
  }
}

// The broadcast address of lo's 127.0.0.0/8: datagrams to it never leave this machine.
const LOOPBACK_BROADCAST = '127.255.255.255';

describe('DatagramSocket broadcast', () => {
  it('refuses a broadcast address until setBroadcast(true), then delivers to the any-address', async () => {
    const receiver = await sockets.bind('0.0.0.0:0');
    const sender = await sockets.bind('127.0.0.1:0');
    const to = { host: LOOPBACK_BROADCAST, port: receiver.localEndpoint.port };
    await assert.rejects(sender.sendTo('not yet', to), (e: unknown) => {
      assert.ok(e instanceof PermissionDeniedError, String(e));
      assert.match(e.message, /setBroadcast/);
      assert.deepEqual(e.endpoint, to);
      return true;
    });

    sender.setBroadcast(true);
    await sender.sendTo('to everyone here', to);
    const { data, sender: from } = await recv(receiver);
    assert.equal(data.toString(), 'to everyone here');
    assert.deepEqual(from, sender.localEndpoint);

    sender.setBroadcast(false);
    await assert.rejects(sender.sendTo('forbidden again', to), PermissionDeniedError);
  });

  it('delivers a run of one size to the broadcast address apart and in order', async () => {
    const receiver = await sockets.bind('0.0.0.0:0');
    const sender = await sockets.bind('127.0.0.1:0', { broadcast: true });
    const to = { host: LOOPBACK_BROADCAST, port: receiver.localEndpoint.port };
    assert.equal(await sender.sendToMany(RUN, to), RUN.length);
    await receivesRun(receiver);
  });

  it('allows broadcast from the start with the broadcast option', async () => {
    const receiver = await sockets.bind('0.0.0.0:0');
    const sender = await sockets.bind('127.0.0.1:0', { broadcast: true });
    await sender.sendTo('hello all', {
      host: LOOPBACK_BROADCAST,
      port: receiver.localEndpoint.port,
    });
    assert.equal((await recv(receiver)).data.toString(), 'hello all');
  });
});

/** Joins `group` on lo; skips the test (true) only if the kernel refuses multicast on lo. */
function joinOnLoopback(t: TestContext, socket: DatagramSocket, group: string): boolean {
  try {
    socket.joinGroup(group, '127.0.0.1');
    return false;
  } catch (error) {
    const flags = execFileSync('ip', ['link', 'show', 'lo'], { encoding: 'utf8' });
    if (error instanceof SocketError && !/MULTICAST/.test(flags)) {
      t.skip(
        `the kernel refuses multicast on lo, which lacks the MULTICAST flag: ${error.message}`,
      );
      return true;
    }
    throw error;
  }
}

/** A sender whose multicast stays on this host: out through lo, TTL 0, looped back. */
async function localMulticastSender(): Promise<DatagramSocket> {
  const sender = await sockets.bind('127.0.0.1:0');
  sender.setMulticastInterface('127.0.0.1');
  sender.setMulticastTTL(0);
  sender.setMulticastLoopback(true);
  return sender;
}

describe('DatagramSocket multicast', () => {
  it('delivers a run of one size to a member apart and in order (multicast loopback)', async (t) => {
    const group = `239.255.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    const receiver = await sockets.bind('0.0.0.0:0');
    if (joinOnLoopback(t, receiver, group)) return;
    const sender = await localMulticastSender();
    const to = { host: group, port: receiver.localEndpoint.port };
    assert.equal(await sender.sendToMany(RUN, to), RUN.length);
    await receivesRun(receiver);
  });

  it('delivers a group datagram to a member, and no more once it has left', async (t) => {
    const group = `239.255.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    const receiver = await sockets.bind('0.0.0.0:0');
    if (joinOnLoopback(t, receiver, group)) return;
    const sender = await localMulticastSender();
    const port = receiver.localEndpoint.port;

    await sender.sendTo('to the group', { host: group, port });
    const { data, sender: from } = await recv(receiver);
    assert.equal(data.toString(), 'to the group');
    assert.deepEqual(from, sender.localEndpoint);

    receiver.leaveGroup(group, '127.0.0.1');
    await sender.sendTo('after leaving', { host: group, port });
    await sender.sendTo('unicast marker', { host: '127.0.0.1', port });
    assert.equal((await recv(receiver)).data.toString(), 'unicast marker');
  });

  it('reports joining twice and leaving a group never joined', async (t) => {
    const group = `239.255.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    const socket = await sockets.bind('0.0.0.0:0');
    if (joinOnLoopback(t, socket, group)) return;
    assert.throws(() => socket.joinGroup(group, '127.0.0.1'), AddressInUseError);
    socket.leaveGroup(group, '127.0.0.1');
    assert.throws(() => socket.leaveGroup(group, '127.0.0.1'), AddressNotAvailableError);
  });

  it('refuses an interface address that is not local with AddressNotAvailableError', async () => {
    const socket = await sockets.bind('0.0.0.0:0');
    assert.throws(() => socket.joinGroup('239.255.0.1', '192.0.2.1'), AddressNotAvailableError);
    assert.throws(() => socket.setMulticastInterface('192.0.2.1'), AddressNotAvailableError);
  });

  it('refuses addresses that are not groups, or of the other family', async (t) => {
    const v4 = await sockets.bind('127.0.0.1:0');
    for (const group of ['10.0.0.1', '240.0.0.1', 'ff02::1', 'not an address', '']) {
      assert.throws(() => v4.joinGroup(group), InvalidEndpointError, group);
      assert.throws(() => v4.leaveGroup(group), InvalidEndpointError, group);
    }
    assert.throws(
      () => v4.joinGroup('239.255.0.1', 'no such interface'),
      /interface "no such interface"/,
    );
    assert.throws(() => v4.setMulticastInterface('::1'), InvalidEndpointError);
    if (await unavailable(t, 'IPv6')) return;
    const v6 = await sockets.bind('[::1]:0');
    assert.throws(() => v6.joinGroup('239.255.0.1'), InvalidEndpointError);
    assert.throws(() => v6.joinGroup('fe80::1'), InvalidEndpointError);
    assert.throws(() => v6.setMulticastInterface('127.0.0.1'), InvalidEndpointError);
  });
});

describe('DatagramSocket socket options', () => {
  it('refuses out-of-range TTLs and non-boolean flags with typed errors', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    for (const ttl of [0, 256, 1.5, Number.NaN]) {
      assert.throws(() => socket.setTTL(ttl), InvalidArgumentError, `ttl ${ttl}`);
    }
    for (const ttl of [-1, 256, 2.5]) {
      assert.throws(
        () => socket.setMulticastTTL(ttl),
        InvalidArgumentError,
        `multicast ttl ${ttl}`,
      );
    }
    assert.throws(() => socket.setBroadcast('yes' as unknown as boolean), InvalidArgumentError);
    assert.throws(() => socket.setMulticastLoopback(1 as unknown as boolean), InvalidArgumentError);
  });

  it('accepts valid TTLs and keeps delivering unicast with them', async () => {
    const socket = await sockets.bind('127.0.0.1:0');
    const peer = await sockets.bind('127.0.0.1:0');
    socket.setTTL(1);
    socket.setTTL(255);
    socket.setMulticastTTL(0);
    socket.setMulticastTTL(255);
    await socket.sendTo('still here', peer.localEndpoint);
    assert.equal((await recv(peer)).data.toString(), 'still here');
  });
});
