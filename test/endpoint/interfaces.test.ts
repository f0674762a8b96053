import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import {
  AddressNotAvailableError,
  interfaceAddress,
  InvalidEndpointError,
  localAddresses,
  multicastInterfaces,
} from '../../src/index.js';

describe('localAddresses', () => {
  it('lists IPv4 addresses by default, loopback among them', () => {
    const all = localAddresses();
    assert.ok(all.length > 0);
    assert.ok(all.every((a) => a.family === 'IPv4' && isIPv4(a.address)));
    assert.ok(all.some((a) => a.address === '127.0.0.1' && a.internal));
  });

  it('filters on internal', () => {
    assert.ok(localAddresses({ internal: true }).every((a) => a.internal));
    assert.ok(localAddresses({ internal: false }).every((a) => !a.internal));
    assert.ok(!localAddresses({ internal: false }).some((a) => a.address === '127.0.0.1'));
  });

  it('lists IPv6 on request, and both with any', () => {
    const v6 = localAddresses({ family: 'IPv6' });
    assert.ok(v6.every((a) => a.family === 'IPv6' && isIPv6(a.address)));
    const any = localAddresses({ family: 'any' });
    assert.equal(any.length, localAddresses().length + v6.length);
  });

  it('gives each address its prefix length, broadcast address and flags', () => {
    const loopback = localAddresses().find((a) => a.address === '127.0.0.1');
    assert.ok(loopback !== undefined);
    assert.equal(loopback.prefixLength, 8);
    assert.equal(loopback.broadcast, null, 'loopback has no broadcast address');
    assert.equal(loopback.flags.loopback, true);
    assert.equal(loopback.flags.linkLocal, false);
    for (const a of localAddresses({ family: 'any' })) {
      assert.equal(a.cidr, `${a.address}/${a.prefixLength}`);
      assert.equal(a.flags.loopback, a.internal);
      if (a.family === 'IPv6') assert.equal(a.broadcast, null);
      if (a.flags.linkLocal && a.family === 'IPv6') {
        assert.match(a.address, /^fe[89ab]/i);
        assert.equal(a.scopedAddress, `${a.address}%${a.interfaceName}`);
      } else {
        assert.equal(a.scopedAddress, a.address);
      }
    }
  });

  it('lists multicast-capable interfaces without loopback', () => {
    for (const family of ['IPv4', 'IPv6'] as const) {
      for (const face of multicastInterfaces(family)) {
        assert.notEqual(face.name, 'lo');
        assert.equal(face.address, family === 'IPv6' ? `::%${face.name}` : face.address);
        if (family === 'IPv4') {
          assert.ok(localAddresses().some((a) => a.address === face.address && a.flags.multicast));
        }
      }
    }
  });
});

describe('interfaceAddress', () => {
  it('turns a name into what multicast calls take, per family', () => {
    assert.equal(interfaceAddress('lo', 'IPv4'), '127.0.0.1');
    assert.equal(interfaceAddress('lo', 'IPv6'), '::%lo');
    assert.equal(interfaceAddress('127.0.0.1', 'IPv4'), '127.0.0.1');
    assert.equal(interfaceAddress('::%lo', 'IPv6'), '::%lo');
    assert.equal(interfaceAddress('fe80::1%lo', 'IPv6'), '::%lo');
    if (localAddresses({ family: 'IPv6' }).some((a) => a.address === '::1')) {
      assert.equal(interfaceAddress('::1', 'IPv6'), '::%lo', 'an address names its interface');
    }
    const linkLocal = localAddresses({ family: 'IPv6' }).find((a) => a.flags.linkLocal);
    if (linkLocal?.scopeId !== undefined) {
      assert.equal(
        interfaceAddress(`fe80::1%${linkLocal.scopeId}`, 'IPv6'),
        `::%${linkLocal.interfaceName}`,
        'a numeric scope is read as the interface index',
      );
    }
  });

  it('refuses interfaces this machine does not have, naming the ones it has', () => {
    const names = Object.keys(networkInterfaces());
    for (const [input, family] of [
      ['nosuch0', 'IPv4'],
      ['nosuch0', 'IPv6'],
      ['::%nosuch0', 'IPv6'],
      ['2001:db8::77', 'IPv6'],
      ['fe80::1%99999', 'IPv6'],
    ] as const) {
      assert.throws(
        () => interfaceAddress(input, family),
        (e: unknown) =>
          e instanceof AddressNotAvailableError && names.every((name) => e.message.includes(name)),
        `${input} (${family})`,
      );
    }
  });

  it('refuses text that is no interface, and addresses of the other family', () => {
    for (const [input, family] of [
      ['', 'IPv4'],
      ['eth 0', 'IPv4'],
      ['a-name-much-too-long-for-an-interface', 'IPv4'],
      ['::1', 'IPv4'],
      ['127.0.0.1', 'IPv6'],
      [42, 'IPv4'],
    ] as const) {
      assert.throws(
        () => interfaceAddress(input, family),
        (e: unknown) => e instanceof InvalidEndpointError && /invalid interface/.test(e.message),
        `${String(input)} (${family})`,
      );
    }
  });
});
