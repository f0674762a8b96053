import { describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import {
  AddressInUseError,
  AddressNotAvailableError,
  InvalidEndpointError,
  SocketError,
} from '../../src/index.js';
import type { DatagramSocket } from '../../src/index.js';
import { recv, socketTracker, unavailable } from './sockets.js';

// Everything here stays on lo: joining on any other interface of the machine would send a
// membership report out of it. Multicast across interfaces is proven in test/netlab.
const sockets = socketTracker();

function group(): string {
  return `239.255.${randomInt(0, 256)}.${randomInt(1, 255)}`;
}

/** Joins `name` on lo by interface name; skips (true) only if the kernel refuses lo. */
function joinOnLo(t: TestContext, socket: DatagramSocket, name: string): boolean {
  try {
    socket.joinGroup(name, 'lo');
    return false;
  } catch (error) {
    if (error instanceof SocketError && !(error instanceof AddressNotAvailableError)) {
      t.skip(`the kernel refuses multicast on lo: ${error.message}`);
      return true;
    }
    throw error;
  }
}

describe('DatagramSocket multicast interfaces by name', () => {
  it('joins and sends on an interface given by its name', async (t) => {
    const to = group();
    const receiver = await sockets.bind('0.0.0.0:0');
    if (joinOnLo(t, receiver, to)) return;
    // The same membership named by address is the same membership.
    assert.throws(() => receiver.joinGroup(to, '127.0.0.1'), AddressInUseError);
    const sender = await sockets.bind('127.0.0.1:0');
    sender.setMulticastInterface('lo');
    sender.setMulticastTTL(0);
    sender.setMulticastLoopback(true);
    await sender.sendTo('by name', { host: to, port: receiver.localEndpoint.port });
    assert.equal((await recv(receiver)).data.toString(), 'by name');
    receiver.leaveGroup(to, 'lo');
    assert.throws(() => receiver.leaveGroup(to, '127.0.0.1'), AddressNotAvailableError);
  });

  it('refuses interfaces the machine does not have, naming them', async (t) => {
    const v4 = await sockets.bind('0.0.0.0:0');
    assert.throws(() => v4.joinGroup(group(), 'nosuch0'), /no interface named "nosuch0"/);
    assert.throws(() => v4.setMulticastInterface('nosuch0'), AddressNotAvailableError);
    assert.throws(() => v4.setMulticastInterface('eth 0'), InvalidEndpointError);
    if (await unavailable(t, 'IPv6')) return;
    const v6 = await sockets.bind('[::]:0');
    assert.throws(() => v6.joinGroup('ff02::1:2%nosuch0'), /no interface named "nosuch0"/);
    assert.throws(() => v6.setMulticastInterface('nosuch0'), AddressNotAvailableError);
    assert.throws(() => v6.joinGroup('ff02::1:2', '2001:db8::77'), AddressNotAvailableError);
  });

  it('joins an IPv6 group on the interface its scope names, and leaves it the same way', async (t) => {
    if (await unavailable(t, 'IPv6')) return;
    const socket = await sockets.bind('[::]:0');
    const scoped = `ff02::${randomInt(1, 0xffff).toString(16)}:1%lo`;
    socket.joinGroup(scoped);
    // The same membership, named by the interface instead of the scope.
    assert.throws(() => socket.joinGroup(scoped.slice(0, -3), 'lo'), AddressInUseError);
    assert.throws(() => socket.joinGroup(scoped, 'nosuch0'), AddressNotAvailableError);
    socket.leaveGroup(scoped);
    assert.throws(() => socket.leaveGroup(scoped), AddressNotAvailableError);
  });

  it('refuses a scoped group with a different interface, and a scoped group for every interface', async (t) => {
    if (await unavailable(t, 'IPv6')) return;
    const socket = await sockets.bind('[::]:0');
    // Refused before any system call, so no membership report leaves by the other interface.
    const other = Object.keys(networkInterfaces()).find((name) => name !== 'lo');
    if (other !== undefined) {
      assert.throws(
        () => socket.joinGroup('ff02::1:3%lo', other),
        /scoped to another interface than/,
      );
    }
    assert.throws(() => socket.joinGroupOnAllInterfaces('ff02::1:3%lo'), /names one interface/);
    assert.throws(() => socket.joinGroupOnAllInterfaces('fd00::1'), InvalidEndpointError);
  });

  it('refuses interface calls on a closed socket with the closed error', async () => {
    const socket = await sockets.bind('0.0.0.0:0');
    await socket.close();
    assert.throws(() => socket.joinGroupOnAllInterfaces(group()), /socket is closed/);
    assert.throws(() => socket.setMulticastInterface('nosuch0'), /socket is closed/);
  });
});
