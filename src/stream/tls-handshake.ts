/**
 * TLS handshakes through node:tls: a client's over a connected TCP socket, a server that
 * completes each connection's handshake before it is queued for accept, and the typed errors
 * a failed handshake becomes.
 */
import { isIP, type Server as NetServer, type Socket } from 'node:net';
import { connect as tlsConnect, createServer, type Server, type TLSSocket } from 'node:tls';
import type { Endpoint } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import {
  CertificateError,
  type CertificateProblem,
  type SocketError,
  TlsHandshakeError,
  toSocketError,
} from '../errors.js';
import type { WaitOptions } from '../internal/deadline.js';
import { waitWithDeadline } from '../internal/deadline.js';
import type { TlsClientSettings, TlsServerSettings } from './tls-options.js';

const ignore = (): void => undefined;

/** Node's certificate verification codes, by what they mean to a user. */
const PROBLEMS: Record<string, CertificateProblem> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed',
  UNABLE_TO_GET_ISSUER_CERT: 'unknown CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown CA',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown CA',
  CERT_UNTRUSTED: 'unknown CA',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'wrong name',
  HOSTNAME_MISMATCH: 'wrong name',
  CERT_REVOKED: 'revoked',
  CERT_SIGNATURE_FAILURE: 'invalid',
  CERT_REJECTED: 'invalid',
  INVALID_CA: 'invalid',
};

const ADVICE: Record<CertificateProblem, string> = {
  'self-signed': 'it is self-signed and not trusted here (give it as the trusted CA: --ca FILE)',
  'unknown CA': 'it is signed by an authority not trusted here (give that CA: --ca FILE)',
  expired: 'it has expired',
  'not yet valid': 'it is not valid yet (check both clocks)',
  'wrong name': 'it is not valid for the name connected to',
  revoked: 'it has been revoked',
  'no certificate': 'the peer sent none',
  invalid: 'it did not verify',
};

/**
 * Turns a failed handshake's Node error into a {@link CertificateError} or
 * {@link TlsHandshakeError} naming the peer and why; other errors (a reset) stay system errors.
 */
export function handshakeError(error: unknown, endpoint: Endpoint, whose: string): SocketError {
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const where = formatEndpoint(endpoint);
  const options = { endpoint, cause: error };
  const problem =
    PROBLEMS[code] ??
    (code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE' ? 'no certificate' : undefined);
  if (problem !== undefined) {
    return new CertificateError(
      `TLS with ${where}: ${whose} certificate refused: ${ADVICE[problem]} (${code})`,
      problem,
      options,
    );
  }
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') {
    return new TlsHandshakeError(`TLS with ${where}: the handshake timed out`, options);
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO') {
    const detail = error instanceof Error ? error.message.split('\n')[0] : code;
    return new TlsHandshakeError(`TLS with ${where}: handshake failed: ${detail}`, options);
  }
  if (code === 'ECONNRESET' || code === '') {
    return new TlsHandshakeError(
      `TLS with ${where}: the peer closed the connection during the handshake ` +
        '(does it speak TLS, and does it trust this side?)',
      options,
    );
  }
  return toSocketError(error, 'connect', endpoint);
}

/**
 * Runs a client handshake over the connected `socket`, bounded by the settings' handshake
 * timeout and by `wait`'s signal. Resolves with the TLS socket; on failure destroys both.
 */
export async function startClientTls(
  socket: Socket,
  settings: TlsClientSettings,
  endpoint: Endpoint,
  wait: WaitOptions,
): Promise<TLSSocket> {
  const hostIsName = isIP(endpoint.host) === 0;
  const servername = settings.servername ?? (hostIsName ? endpoint.host : undefined);
  const secure = tlsConnect({
    socket,
    // The identity is checked against `host` when no servername is given: the IP connected to.
    host: servername ?? endpoint.host,
    ...(servername !== undefined && isIP(servername) === 0 ? { servername } : {}),
    ...(settings.alpn !== undefined ? { ALPNProtocols: settings.alpn } : {}),
    ...(settings.ca !== undefined ? { ca: settings.ca as string[] } : {}),
    ...(settings.cert !== undefined ? { cert: settings.cert as string[] } : {}),
    ...(settings.key !== undefined ? { key: settings.key as string[] } : {}),
    rejectUnauthorized: settings.rejectUnauthorized,
  });
  const what = `TLS handshake with ${formatEndpoint(endpoint)}`;
  const remaining = wait.timeout === undefined ? Infinity : wait.timeout;
  await waitWithDeadline<void>(
    (settle) => {
      const onSecure = (): void => {
        secure.off('error', onError);
        settle.resolve();
      };
      const onError = (error: Error): void => {
        secure.off('secureConnect', onSecure);
        secure.destroy();
        socket.destroy();
        settle.reject(handshakeError(error, endpoint, "the server's"));
      };
      secure.once('secureConnect', onSecure);
      secure.once('error', onError);
      return () => {
        secure.off('secureConnect', onSecure);
        secure.off('error', onError);
        secure.on('error', ignore);
        secure.destroy();
        socket.destroy();
      };
    },
    {
      timeout: Math.min(remaining, settings.handshakeTimeout),
      ...(wait.signal !== undefined ? { signal: wait.signal } : {}),
    },
    what,
    endpoint,
  );
  return secure;
}

/** What a TLS server reports to its owner. */
export interface TlsServerEvents {
  /** A connection completed its handshake; it is paused until accepted. */
  secure(socket: TLSSocket): void;
  /** A connection's handshake failed (or timed out); it is already destroyed. */
  failed(error: SocketError, remote: Endpoint | undefined): void;
  /** A connection arrived at the limit and was closed by the server before its handshake. */
  dropped(remote: Endpoint | undefined): void;
}

/**
 * A tls.Server for `settings`. At most `maxConnections` connections are open at once, those
 * still in their handshake included: past it, Node closes arriving connections at once.
 */
export function createTlsServer(settings: TlsServerSettings, maxConnections: number): Server {
  const server = createServer({
    allowHalfOpen: true,
    cert: settings.cert as string[],
    key: settings.key as string[],
    ...(settings.ca !== undefined ? { ca: settings.ca as string[] } : {}),
    ...(settings.alpn !== undefined ? { ALPNProtocols: settings.alpn } : {}),
    requestCert: settings.requestCert,
    rejectUnauthorized: settings.requestCert,
    handshakeTimeout: settings.handshakeTimeout,
  });
  server.maxConnections = maxConnections;
  return server;
}

/** Routes a TLS server's events to `events`. */
export function watchTlsServer(server: NetServer, events: TlsServerEvents): void {
  server.on('secureConnection', (socket: TLSSocket) => {
    // Paused so that nothing is read for the application before it accepts the connection.
    socket.pause();
    events.secure(socket);
  });
  server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
    const remote =
      socket.remoteAddress === undefined
        ? undefined
        : { host: socket.remoteAddress, port: socket.remotePort ?? 0 };
    socket.destroy();
    events.failed(handshakeError(error, remote ?? { host: '?', port: 0 }, "the client's"), remote);
  });
  server.on('drop', (data?: { remoteAddress?: string; remotePort?: number }) => {
    const remote =
      data?.remoteAddress === undefined
        ? undefined
        : { host: data.remoteAddress, port: data.remotePort ?? 0 };
    events.dropped(remote);
  });
}
