/**
 * Self-signed certificates for a lab: a key pair made by node:crypto, the X.509 certificate
 * built and signed with node-forge (loaded only when a certificate is made).
 */
import { Buffer } from 'node:buffer';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import { checkInteger } from '../internal/validate.js';

/** Options of {@link createSelfSignedCertificate}. */
export interface SelfSignedOptions {
  /**
   * The host names and IP addresses the certificate is valid for (its subject alternative
   * names); the first is also its common name. At least one.
   */
  hosts: readonly string[];
  /** How many days the certificate is valid, from now (default 365). */
  days?: number;
  /**
   * When the certificate becomes valid (default: a minute ago, so that a peer whose clock is
   * a little behind accepts it). `days` counts from then.
   */
  validFrom?: Date;
}

/** A certificate and its private key, both PEM. */
export interface CertificateAndKey {
  cert: string;
  key: string;
}

const HOST_NAME =
  /^(?=.{1,253}$)(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function checkHosts(hosts: unknown): string[] {
  if (!Array.isArray(hosts) || hosts.length === 0) {
    throw new InvalidArgumentError(
      'hosts',
      'a non-empty array of host names or IP addresses',
      hosts,
    );
  }
  for (const host of hosts) {
    if (typeof host !== 'string' || (isIP(host) === 0 && !HOST_NAME.test(host))) {
      throw new InvalidArgumentError('hosts', 'host names or IP addresses', host, {
        message: `"${String(host)}" is neither a host name nor an IP address`,
      });
    }
  }
  return hosts as string[];
}

/**
 * The serial number (hex) of a certificate made from 16 random bytes: positive, and encoded
 * in DER in its minimal form, as OpenSSL requires of an INTEGER. Its first byte is set to
 * 0x40-0x7F (so no sign byte and no leading zero: node-forge writes the hex as it is, and a
 * leading 00 before a byte below 0x80 is refused as "illegal padding"), which leaves 126
 * random bits.
 */
export function certificateSerial(random: Uint8Array): string {
  const bytes = Buffer.from(random.subarray(0, 16));
  bytes[0] = ((bytes[0] ?? 0) & 0x3f) | 0x40;
  return bytes.toString('hex');
}

/**
 * Makes a self-signed certificate (RSA 2048, SHA-256) and its key, valid for `hosts`, for a
 * TLS server in a lab: clients trust it by taking the certificate itself as their CA
 * (`ca: cert`). Throws {@link InvalidArgumentError} for a bad host or number of days.
 *
 * @example
 * ```ts
 * import { createSelfSignedCertificate, StreamServer, StreamSocket } from 'dsock';
 *
 * const { cert, key } = await createSelfSignedCertificate({ hosts: ['localhost', '127.0.0.1'] });
 * await using server = await StreamServer.listen('127.0.0.1:0', { tls: { cert, key } });
 * const tls = { ca: cert, servername: 'localhost' };
 * await using client = await StreamSocket.connect(server.localEndpoint, { tls, timeout: 5000 });
 * await using peer = await server.accept({ timeout: 5000 });
 * await client.sendAll('private');
 * console.log(`${await peer.recvExactly(7, { timeout: 5000 })}`); // private
 * console.log(client.tls?.peerCertificate?.subject.CN); // localhost
 * ```
 */
export async function createSelfSignedCertificate(
  options: SelfSignedOptions,
): Promise<CertificateAndKey> {
  const hosts = checkHosts(options?.hosts);
  const days = options.days === undefined ? 365 : checkInteger('days', options.days, 1, 36500);
  const { default: forge } = await import('node-forge');
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(
    publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  );
  certificate.serialNumber = certificateSerial(randomBytes(16));
  const validFrom = options.validFrom ?? new Date(Date.now() - 60_000);
  if (!(validFrom instanceof Date) || Number.isNaN(validFrom.getTime())) {
    throw new InvalidArgumentError('validFrom', 'a valid Date', validFrom);
  }
  certificate.validity.notBefore = validFrom;
  certificate.validity.notAfter = new Date(validFrom.getTime() + days * 86_400_000);
  const subject = [{ name: 'commonName', value: hosts[0] }];
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    {
      name: 'subjectAltName',
      altNames: hosts.map((host) =>
        isIP(host) === 0 ? { type: 2, value: host } : { type: 7, ip: host },
      ),
    },
  ]);
  certificate.sign(forge.pki.privateKeyFromPem(keyPem), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(certificate), key: keyPem };
}
