/**
 * TLS for stream sockets: the options of a TLS client and server, their checks, and what a
 * connection tells about its TLS session. The handshakes themselves are in tls-handshake.ts.
 */
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';
import { InvalidArgumentError } from '../errors.js';
import { checkInteger, checkOptionalFlag, checkOptionsObject } from '../internal/validate.js';

/** PEM text or DER/PEM bytes: one item, or several (a chain, or several trusted authorities). */
export type TlsMaterial = string | Uint8Array | readonly (string | Uint8Array)[];

/** How long (ms) a TLS handshake may take unless told otherwise: 10 s. */
export const DEFAULT_TLS_HANDSHAKE_TIMEOUT = 10_000;

/** The TLS options of {@link StreamSocket.connect} (its `tls` option). */
export interface TlsConnectOptions {
  /**
   * The name the server's certificate must be valid for, also sent as SNI. Default: the host
   * connected to when it is a name; for an IP address the certificate must name that address.
   */
  servername?: string;
  /** Application protocols offered through ALPN, in order of preference (e.g. `['h2']`). */
  alpn?: readonly string[];
  /**
   * The authorities (or self-signed certificates) to trust instead of the system's, in PEM.
   * Default: the CA certificates Node.js ships.
   */
  ca?: TlsMaterial;
  /** A client certificate (PEM), for servers that ask for one; needs `key`. */
  cert?: TlsMaterial;
  /** The private key of `cert` (PEM). */
  key?: TlsMaterial;
  /**
   * Refuse a server whose certificate does not verify (default `true`). `false` accepts any
   * certificate: the connection is encrypted but the server is not authenticated (the
   * verdict is then in {@link TlsSession.authorizationError}); for labs only.
   */
  rejectUnauthorized?: boolean;
  /** How long (ms) the handshake may take after the TCP connection (default 10,000). */
  handshakeTimeout?: number;
}

/** The TLS options of {@link StreamServer.listen} (its `tls` option). */
export interface TlsListenOptions {
  /** The server's certificate (PEM), or its chain, leaf first. */
  cert: TlsMaterial;
  /** The private key of `cert` (PEM). */
  key: TlsMaterial;
  /** Application protocols accepted through ALPN, in order of preference. */
  alpn?: readonly string[];
  /**
   * Ask every client for a certificate, and refuse clients whose certificate does not verify
   * against `ca` (default `false`).
   */
  requestCert?: boolean;
  /** The authorities client certificates must be signed by, with `requestCert`. */
  ca?: TlsMaterial;
  /**
   * How long (ms) a connection may take to complete its handshake (default 10,000). A peer
   * that connects and stalls holds a descriptor for no longer; the failure is reported to
   * `onRefused` as `'tls handshake failed'`.
   */
  handshakeTimeout?: number;
}

/** What a TLS connection negotiated, from {@link StreamSocket.tls}. */
export interface TlsSession {
  /** The protocol version, e.g. `'TLSv1.3'`. */
  protocol: string;
  /** The cipher suite's standard name, e.g. `'TLS_AES_256_GCM_SHA384'`. */
  cipher: string;
  /** The ALPN protocol both sides agreed on, or undefined when none was. */
  alpnProtocol: string | undefined;
  /** True when the peer's certificate verified (always true for a connection that refuses). */
  authorized: boolean;
  /** Why the peer's certificate did not verify, when it did not (e.g. with `rejectUnauthorized: false`). */
  authorizationError: string | undefined;
  /** The certificate the peer presented, or undefined when it sent none. */
  peerCertificate: PeerCertificate | undefined;
}

/** The checked TLS options of a client. */
export interface TlsClientSettings {
  servername: string | undefined;
  alpn: string[] | undefined;
  ca: TlsMaterial | undefined;
  cert: TlsMaterial | undefined;
  key: TlsMaterial | undefined;
  rejectUnauthorized: boolean;
  handshakeTimeout: number;
}

/** The checked TLS options of a server. */
export interface TlsServerSettings {
  cert: TlsMaterial;
  key: TlsMaterial;
  alpn: string[] | undefined;
  requestCert: boolean;
  ca: TlsMaterial | undefined;
  handshakeTimeout: number;
}

function isMaterialItem(value: unknown): boolean {
  return (typeof value === 'string' && value.length > 0) || value instanceof Uint8Array;
}

function checkMaterial(name: string, value: unknown): TlsMaterial | undefined {
  if (value === undefined) return undefined;
  const ok = Array.isArray(value)
    ? value.length > 0 && value.every(isMaterialItem)
    : isMaterialItem(value);
  if (!ok)
    throw new InvalidArgumentError(name, 'PEM text, bytes, or a non-empty array of them', value);
  return value as TlsMaterial;
}

function checkAlpn(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const ok =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((p) => typeof p === 'string' && p.length > 0 && p.length < 256);
  if (!ok) throw new InvalidArgumentError('alpn', 'a non-empty array of protocol names', value);
  return [...(value as string[])];
}

function checkHandshakeTimeout(value: unknown): number {
  if (value === undefined) return DEFAULT_TLS_HANDSHAKE_TIMEOUT;
  return checkInteger('handshakeTimeout', value, 1, 2 ** 31 - 1);
}

/** Checks a client's `tls` option; `true` means the defaults. */
export function checkTlsConnectOptions(value: unknown): TlsClientSettings | undefined {
  if (value === undefined || value === false) return undefined;
  const options = (value === true ? {} : value) as TlsConnectOptions;
  checkOptionsObject(options, '{ servername: "example.org" }');
  const servername = options.servername;
  if (servername !== undefined && (typeof servername !== 'string' || servername.length === 0)) {
    throw new InvalidArgumentError('servername', 'a non-empty host name', servername);
  }
  const cert = checkMaterial('cert', options.cert);
  const key = checkMaterial('key', options.key);
  if ((cert === undefined) !== (key === undefined)) {
    throw new InvalidArgumentError('cert', 'given together with key', cert ?? key, {
      message: 'a client certificate needs both cert and key',
    });
  }
  return {
    servername,
    alpn: checkAlpn(options.alpn),
    ca: checkMaterial('ca', options.ca),
    cert,
    key,
    rejectUnauthorized: checkOptionalFlag('rejectUnauthorized', options.rejectUnauthorized) ?? true,
    handshakeTimeout: checkHandshakeTimeout(options.handshakeTimeout),
  };
}

/** Checks a server's `tls` option. */
export function checkTlsListenOptions(value: unknown): TlsServerSettings | undefined {
  if (value === undefined) return undefined;
  checkOptionsObject(value, '{ cert, key }');
  const options = value as TlsListenOptions;
  const cert = checkMaterial('cert', options.cert);
  const key = checkMaterial('key', options.key);
  if (cert === undefined || key === undefined) {
    throw new InvalidArgumentError(
      cert === undefined ? 'cert' : 'key',
      'PEM text or bytes',
      undefined,
      {
        message: 'a TLS server needs its certificate and key: tls: { cert, key }',
      },
    );
  }
  return {
    cert,
    key,
    alpn: checkAlpn(options.alpn),
    requestCert: checkOptionalFlag('requestCert', options.requestCert) ?? false,
    ca: checkMaterial('ca', options.ca),
    handshakeTimeout: checkHandshakeTimeout(options.handshakeTimeout),
  };
}

function isTlsSocket(socket: Socket): socket is TLSSocket {
  return 'encrypted' in socket && (socket as TLSSocket).encrypted;
}

/** What `socket` negotiated, or undefined for a plain TCP connection. */
export function tlsSessionOf(socket: Socket): TlsSession | undefined {
  if (!isTlsSocket(socket)) return undefined;
  const certificate = socket.getPeerCertificate();
  const alpn = socket.alpnProtocol;
  const error = socket.authorizationError as Error | string | null | undefined;
  return {
    protocol: socket.getProtocol() ?? 'unknown',
    cipher: socket.getCipher()?.standardName ?? 'unknown',
    alpnProtocol: typeof alpn === 'string' ? alpn : undefined,
    authorized: socket.authorized,
    authorizationError: error == null ? undefined : String(error),
    peerCertificate:
      certificate !== null && Object.keys(certificate).length > 0 ? certificate : undefined,
  };
}
