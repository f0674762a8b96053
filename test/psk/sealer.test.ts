import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generatePsk, InvalidArgumentError } from '../../src/index.js';
import { PskSealer, REPLAY_WINDOW, SEALED_OVERHEAD } from '../../src/psk/index.js';

const psk = generatePsk();

describe('PskSealer', () => {
  it('opens what a peer with the same key sealed, and hides the payload', () => {
    const alice = new PskSealer(psk);
    const bob = new PskSealer(psk);
    const payload = Buffer.from('attack at dawn, attack at dawn');
    const sealed = alice.seal(payload);
    assert.equal(sealed.length, payload.length + SEALED_OVERHEAD);
    assert.equal(sealed.indexOf('attack'), -1, 'no plaintext in the sealed datagram');
    assert.deepEqual(bob.open(sealed), payload);
    assert.deepEqual(bob.open(alice.seal(Buffer.alloc(0))), Buffer.alloc(0));
    assert.equal(bob.stats.opened, 2);
    assert.equal(bob.stats.senders, 1);
  });

  it('never seals two datagrams alike, even with the same payload', () => {
    const alice = new PskSealer(psk);
    const a = alice.seal(Buffer.from('same'));
    const b = alice.seal(Buffer.from('same'));
    assert.notDeepEqual(a, b);
    assert.notDeepEqual(a.subarray(17, 25), b.subarray(17, 25), 'counters differ');
  });

  it('drops every datagram with one bit flipped, anywhere', () => {
    const alice = new PskSealer(psk);
    const bob = new PskSealer(psk);
    const sealed = alice.seal(Buffer.from('integrity'));
    for (let i = 0; i < sealed.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const copy = Buffer.from(sealed);
        copy[i] = (copy[i] as number) ^ bit;
        assert.equal(bob.open(copy), undefined, `byte ${i} bit ${bit}`);
      }
    }
    assert.equal(bob.stats.opened, 0);
    assert.equal(bob.stats.senders, 0, 'no state kept for datagrams that did not authenticate');
    assert.equal(bob.stats.forged + bob.stats.malformed, sealed.length * 2);
    assert.deepEqual(bob.open(sealed), Buffer.from('integrity'), 'the original still opens');
  });

  it('drops datagrams sealed with another key, and short or plain ones', () => {
    const outsider = new PskSealer(generatePsk());
    const bob = new PskSealer(psk);
    assert.equal(bob.open(outsider.seal(Buffer.from('let me in'))), undefined);
    assert.equal(
      bob.open(Buffer.from('plain text datagram of some length, not sealed')),
      undefined,
    );
    assert.equal(bob.open(Buffer.alloc(3)), undefined);
    assert.deepEqual(
      { forged: bob.stats.forged, malformed: bob.stats.malformed, opened: bob.stats.opened },
      { forged: 1, malformed: 2, opened: 0 },
    );
  });

  it('accepts each datagram once, in any order within the window, and refuses older ones', () => {
    const alice = new PskSealer(psk);
    const bob = new PskSealer(psk);
    const sealed = Array.from({ length: REPLAY_WINDOW + 10 }, (_, i) =>
      alice.seal(Buffer.from(`m${i}`)),
    );
    // Out of order within the window: all accepted once.
    const order = [5, 3, 4, 0, 2, 1];
    for (const i of order) assert.deepEqual(bob.open(sealed[i] as Buffer), Buffer.from(`m${i}`));
    for (const i of order) assert.equal(bob.open(sealed[i] as Buffer), undefined, `replay of ${i}`);
    // Far ahead: the window slides; what fell out of it is refused, the rest still taken once.
    const last = sealed.length - 1;
    assert.ok(bob.open(sealed[last] as Buffer));
    assert.equal(bob.open(sealed[6] as Buffer), undefined, 'older than the window');
    assert.ok(bob.open(sealed[last - 5] as Buffer), 'inside the window, not seen');
    assert.equal(bob.open(sealed[last - 5] as Buffer), undefined);
    assert.equal(bob.stats.replayed, order.length + 2);
  });

  it('drops its own datagrams sent back to it', () => {
    const alice = new PskSealer(psk);
    assert.equal(alice.open(alice.seal(Buffer.from('echo'))), undefined);
    assert.equal(alice.stats.reflected, 1);
  });

  it('keeps replay windows for at most pskMaxSenders senders, forgetting the quietest', () => {
    const bob = new PskSealer(psk, 4);
    const senders = Array.from({ length: 10 }, () => new PskSealer(psk));
    for (const sender of senders) assert.ok(bob.open(sender.seal(Buffer.from('hi'))));
    assert.equal(bob.stats.senders, 4);
    assert.equal(bob.stats.sendersForgotten, 6);
  });

  it('refuses keys that are not 64 hexadecimal digits or 32 bytes', () => {
    assert.throws(() => new PskSealer('abc'), InvalidArgumentError);
    assert.throws(() => new PskSealer(new Uint8Array(16)), InvalidArgumentError);
    assert.throws(() => new PskSealer(psk, 0), InvalidArgumentError);
    assert.ok(new PskSealer(`  ${psk.toUpperCase()}\n`));
    assert.match(generatePsk(), /^[0-9a-f]{64}$/);
  });
});
