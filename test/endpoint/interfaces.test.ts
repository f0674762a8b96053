import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv4, isIPv6 } from 'node:net';
import { localAddresses } from '../../src/index.js';

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
});
