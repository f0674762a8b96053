import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { describe, it } from 'node:test';
import { createSelfSignedCertificate } from '../../src/index.js';
import { certificateSerial } from '../../src/apps/tls-cert.js';

/** True when `hex` is a positive DER INTEGER's content in its minimal form. */
function minimalPositive(hex: string): boolean {
  const first = Number.parseInt(hex.slice(0, 2), 16);
  const second = Number.parseInt(hex.slice(2, 4), 16);
  if (first >= 0x80) return false; // negative
  return !(first === 0 && second < 0x80); // a leading zero only before a byte of 0x80 or more
}

describe('self-signed certificates', () => {
  it('get a serial in the minimal form OpenSSL requires, whatever the random bytes', () => {
    // One certificate in 256 drew a first random byte of 0: its serial began 00 7B..., which
    // OpenSSL refused as "illegal padding" when a TLS server loaded it.
    for (const first of [0x00, 0x01, 0x7f, 0x80, 0xff]) {
      for (const second of [0x00, 0x7f, 0x80, 0xff]) {
        const random = Buffer.alloc(16, 0xab);
        random[0] = first;
        random[1] = second;
        const serial = certificateSerial(random);
        assert.equal(serial.length, 32, serial);
        assert.ok(minimalPositive(serial), `serial ${serial} from ${random.toString('hex')}`);
        assert.equal(serial.slice(2), random.subarray(1).toString('hex'), 'the rest is random');
      }
    }
  });

  it('load into a TLS server, with such a serial', async () => {
    const { cert, key } = await createSelfSignedCertificate({ hosts: ['localhost'] });
    createSecureContext({ cert, key });
    const serial = new X509Certificate(cert).serialNumber;
    assert.ok(minimalPositive(serial), `serial ${serial}`);
    assert.ok(/^[4-7]/.test(serial), `serial ${serial} starts with its fixed top bits`);
  });
});
