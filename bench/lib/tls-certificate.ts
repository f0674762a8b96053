import { createSelfSignedCertificate, type CertificateAndKey } from '../../src/index.js';

/**
 * The TLS scenarios' certificate: one self-signed certificate for 127.0.0.1 (RSA 2048, made by
 * dsock's own `createSelfSignedCertificate` when first asked for, then kept for the run), so
 * that every contender's server presents the same one and every client trusts it as its CA.
 */
let certificate: Promise<CertificateAndKey> | undefined;

/** The certificate and key every TLS contender's server uses, made once per run. */
export function benchCertificate(): Promise<CertificateAndKey> {
  certificate ??= createSelfSignedCertificate({ hosts: ['127.0.0.1', 'localhost'] });
  return certificate;
}

/** What a TLS receiver (server) needs: the certificate and its key, PEM. */
export interface TlsServerParams {
  cert: string;
  key: string;
}
