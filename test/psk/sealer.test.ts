import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { generatePsk, InvalidArgumentError } from '../../src/index.js';
import { PskSealer, REPLAY_WINDOW, SEALED_OVERHEAD } from '../../src/psk/index.js';

const psk = generatePsk();

/** The sender key of `id`, as docs/psk.md gives it. */
function senderKey(id: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(psk, 'hex'), 'dsock psk v1', id, 32));
}

/** The nonce of a sealed datagram's header, as docs/psk.md gives it. */
function nonceOf(header: Buffer): Buffer {
  return Buffer.concat([Buffer.alloc(4), header.subarray(17, 25)]);
}

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

  it('seals and opens the format of docs/psk.md, made and read here without the sealer', () => {
    const alice = new PskSealer(psk);
    const payloads = [Buffer.from('first'), Buffer.alloc(0), randomBytes(1045)];
    for (const [counter, payload] of payloads.entries()) {
      const sealed = alice.seal(payload);
      const header = sealed.subarray(0, 25);
      assert.equal(header[0], 0x01, 'version');
      assert.equal(header.readBigUInt64BE(17), BigInt(counter), 'counter');
      const decipher = createDecipheriv(
        'aes-256-gcm',
        senderKey(header.subarray(1, 17)),
        nonceOf(header),
        {
          authTagLength: 16,
        },
      );
      decipher.setAAD(header);
      decipher.setAuthTag(sealed.subarray(sealed.length - 16));
      const opened = decipher.update(sealed.subarray(25, sealed.length - 16));
      decipher.final();
      assert.deepEqual(opened, payload);
    }
    // A datagram of a foreign sender, sealed by hand, opens once.
    const bob = new PskSealer(psk);
    const header = Buffer.alloc(25);
    header[0] = 0x01;
    randomBytes(16).copy(header, 1);
    header.writeBigUInt64BE(2n ** 40n + 7n, 17);
    const cipher = createCipheriv(
      'aes-256-gcm',
      senderKey(header.subarray(1, 17)),
      nonceOf(header),
      {
        authTagLength: 16,
      },
    );
    cipher.setAAD(header);
    const body = cipher.update(Buffer.from('from afar'));
    cipher.final();
    const foreign = Buffer.concat([header, body, cipher.getAuthTag()]);
    // As a plain Uint8Array too, not only as a Buffer.
    assert.deepEqual(bob.open(new Uint8Array(foreign)), Buffer.from('from afar'));
    assert.equal(bob.open(foreign), undefined, 'replayed');
    assert.deepEqual([bob.stats.opened, bob.stats.replayed], [1, 1]);
  });

  it('keeps each sender apart when their datagrams interleave', () => {
    const bob = new PskSealer(psk, 2);
    const [alice, carol, dave] = [new PskSealer(psk), new PskSealer(psk), new PskSealer(psk)];
    const a = [0, 1, 2].map((i) => alice.seal(Buffer.from(`a${i}`)));
    const c = [0, 1, 2].map((i) => carol.seal(Buffer.from(`c${i}`)));
    // Counters of one sender say nothing of another's: carol's 0 is fresh after alice's 0..1.
    for (const datagram of [a[0], a[1], c[0], a[2], c[2], c[1]])
      assert.ok(bob.open(datagram as Buffer));
    for (const datagram of [...a, ...c]) assert.equal(bob.open(datagram), undefined);
    assert.equal(bob.stats.replayed, 6);
    // A third sender makes room by forgetting alice, heard from least recently; carol's window
    // is kept, alice's is not (her old datagrams open once more, as docs/psk.md says).
    assert.ok(bob.open(dave.seal(Buffer.from('d0'))));
    assert.equal(bob.stats.sendersForgotten, 1);
    assert.equal(bob.open(c[2] as Buffer), undefined, 'carol still remembered');
    assert.deepEqual(bob.open(a[1] as Buffer), Buffer.from('a1'));
    // A known sender's datagram changed on the way is forged, and leaves its window as it was.
    const next = alice.seal(Buffer.from('a3'));
    const changed = Buffer.from(next);
    changed[30] = (changed[30] as number) ^ 0x01;
    assert.equal(bob.open(changed), undefined);
    assert.equal(bob.stats.forged, 1);
    assert.deepEqual(bob.open(next), Buffer.from('a3'));
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
