import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { generatePsk } from '../../src/index.js';
import { defaultGcm, type GcmEngine, nativeGcm, nodeGcm } from '../../src/psk/gcm.js';
import { PskSealer, SEALED_OVERHEAD } from '../../src/psk/index.js';

const psk = generatePsk();
const HEADER = 25;
const SIZES = [0, 1, 25, 1045, 16_384, 65_000];

/** The native engine, or undefined with the test skipped for a reason a user would accept. */
function native(t: TestContext): GcmEngine | undefined {
  if (nativeGcm === undefined) {
    t.skip(
      process.env.DSOCK_NATIVE === '0'
        ? 'DSOCK_NATIVE=0: the native addon is not used'
        : 'the native addon is not built',
    );
  }
  return nativeGcm;
}

describe('AES-256-GCM engines', () => {
  it('seals with the addon where it is loaded, with node:crypto under DSOCK_NATIVE=0', () => {
    if (process.env.DSOCK_NATIVE === '0') assert.equal(nativeGcm, undefined);
    if (process.env.DSOCK_NATIVE === '1') assert.equal(nativeGcm?.name, 'native');
    assert.equal(defaultGcm, nativeGcm ?? nodeGcm);
  });

  it('seal the same bytes for the same key, nonce, header and payload', (t) => {
    const gcm = native(t);
    if (gcm === undefined) return;
    const key = randomBytes(32);
    const sealer = gcm.sealer(key);
    const reference = nodeGcm.sealer(key);
    for (const size of SIZES) {
      const nonce = randomBytes(12);
      const header = randomBytes(HEADER);
      const payload = randomBytes(size);
      const sealed = sealer.seal(nonce, header, payload);
      assert.equal(sealed.length, HEADER + size + 16);
      assert.deepEqual(sealed, reference.seal(nonce, header, payload), `${size} bytes`);
    }
  });

  it('open a payload into memory of its own, sharing no bytes of other data', () => {
    // A slice of Node's shared pool would let whoever gets the payload read, through its
    // .buffer, what else the process put there: other peers' plaintext among it.
    const key = randomBytes(32);
    for (const gcm of [nativeGcm, nodeGcm]) {
      if (gcm === undefined) continue;
      const sealer = gcm.sealer(key);
      const opener = gcm.opener(key);
      for (const size of [1, 25, 1045]) {
        const nonce = randomBytes(12);
        const header = randomBytes(HEADER);
        const opened = opener.open(
          nonce,
          sealer.seal(nonce, header, randomBytes(size)),
          HEADER,
          false,
        );
        assert.ok(opened !== undefined, `${gcm.name}: ${size} bytes open`);
        assert.equal(opened.buffer.byteLength, size, `${gcm.name}: ${size} bytes, own memory`);
      }
    }
  });

  it('open in place on the native path: the payload is the body of the datagram, a forged one zeroed', (t) => {
    const gcm = native(t);
    if (gcm === undefined) return;
    const key = randomBytes(32);
    const sealer = gcm.sealer(key);
    const opener = gcm.opener(key);
    for (const size of SIZES) {
      const nonce = randomBytes(12);
      const payload = randomBytes(size);
      const sealed = sealer.seal(nonce, randomBytes(HEADER), payload);
      const opened = opener.open(nonce, sealed, HEADER, true);
      assert.deepEqual(opened, payload, `${size} bytes`);
      assert.ok(opened.buffer === sealed.buffer, `${size} bytes: a view of the datagram`);
      assert.equal(opened.byteOffset, sealed.byteOffset + HEADER);
    }
    const sealed = sealer.seal(randomBytes(12), randomBytes(HEADER), randomBytes(100));
    assert.equal(opener.open(randomBytes(12), sealed, HEADER, true), undefined, 'another nonce');
    assert.deepEqual(sealed.subarray(HEADER, HEADER + 100), Buffer.alloc(100), 'body zeroed');
  });

  it('open what the other sealed', (t) => {
    const gcm = native(t);
    if (gcm === undefined) return;
    const key = randomBytes(32);
    for (const [sealing, opening] of [
      [gcm, nodeGcm],
      [nodeGcm, gcm],
    ] as const) {
      const sealer = sealing.sealer(key);
      const opener = opening.opener(key);
      for (const size of SIZES) {
        const nonce = randomBytes(12);
        const header = randomBytes(HEADER);
        const payload = randomBytes(size);
        const opened = opener.open(nonce, sealer.seal(nonce, header, payload), HEADER, false);
        assert.deepEqual(opened, payload, `${sealing.name} to ${opening.name}, ${size} bytes`);
      }
    }
  });

  it('refuse on the native path a datagram changed anywhere, or under another nonce or key', (t) => {
    const gcm = native(t);
    if (gcm === undefined) return;
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const sealed = gcm.sealer(key).seal(nonce, randomBytes(HEADER), randomBytes(100));
    const opener = gcm.opener(key);
    for (const at of [0, HEADER - 1, HEADER, HEADER + 50, sealed.length - 16, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[at]! ^= 0x01;
      assert.equal(opener.open(nonce, tampered, HEADER, false), undefined, `byte ${at} changed`);
    }
    const otherNonce = Buffer.from(nonce);
    otherNonce[11]! ^= 0x01;
    assert.equal(opener.open(otherNonce, sealed, HEADER, false), undefined, 'another nonce');
    assert.equal(
      gcm.opener(randomBytes(32)).open(nonce, sealed, HEADER, false),
      undefined,
      'another key',
    );
    // The context is fit for the next datagram after each refusal.
    assert.equal(opener.open(nonce, sealed, HEADER, false)?.length, 100);
  });
});

describe('PskSealer on the native path', () => {
  it('talks to a peer on the node:crypto path, both ways', (t) => {
    const gcm = native(t);
    if (gcm === undefined) return;
    const alice = new PskSealer(psk, undefined, gcm);
    const bob = new PskSealer(psk, undefined, nodeGcm);
    for (const size of SIZES) {
      const payload = randomBytes(size);
      assert.deepEqual(bob.open(alice.seal(payload)), payload, `native to node:crypto, ${size}`);
      assert.deepEqual(alice.open(bob.seal(payload)), payload, `node:crypto to native, ${size}`);
    }
    assert.equal(alice.stats.opened, SIZES.length);
    assert.equal(bob.stats.opened, SIZES.length);
  });

  it('drops tampered header, ciphertext and tag as forged, keeping nothing of them', (t) => {
    const gcm = native(t);
    if (gcm === undefined) return;
    const alice = new PskSealer(psk, undefined, nodeGcm);
    const bob = new PskSealer(psk, undefined, gcm);
    const payload = Buffer.from('pay the bearer one hundred');
    // Alice is known to Bob: her datagrams are opened by the cipher context kept for her.
    assert.deepEqual(bob.open(alice.seal(payload)), payload);
    const sealed = alice.seal(payload);
    assert.equal(sealed.length, payload.length + SEALED_OVERHEAD);
    // The sender id, the counter (to one not seen yet), the ciphertext, the tag.
    for (const at of [
      1,
      16,
      20,
      24,
      25,
      sealed.length - 17,
      sealed.length - 16,
      sealed.length - 1,
    ]) {
      const tampered = Buffer.from(sealed);
      tampered[at]! ^= 0x02;
      assert.equal(bob.open(tampered), undefined, `byte ${at} changed`);
    }
    assert.deepEqual(
      { ...bob.stats },
      { ...bob.stats, forged: 8, malformed: 0, opened: 1, replayed: 0, senders: 1, sealed: 0 },
    );
    // The forgeries moved no replay window: the genuine datagram still opens, once.
    assert.deepEqual(bob.open(sealed), payload);
    assert.equal(bob.open(sealed), undefined);
    assert.deepEqual(
      [bob.stats.opened, bob.stats.replayed, bob.stats.forged, bob.stats.senders],
      [2, 1, 8, 1],
    );
  });
});
