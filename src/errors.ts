/**
 * Every error that dsock's public API raises is a {@link SocketError}: a stable `code`, the
 * endpoint involved (when there is one) and the underlying Node error as `cause`. Callers can
 * branch on `instanceof` or on `code`; no raw Node error escapes the API.
 */
import { isIPv6 } from 'node:net';

// errors.ts is the ground layer: it imports nothing of dsock, so every other layer can raise its
// errors. It names an endpoint by its shape, { host, port } (the shape of `Endpoint`).
type Endpoint = { host: string; port: number };

/** `host:port` with an IPv6 address bracketed: the text `formatEndpoint` gives, for messages. */
function formatEndpoint(endpoint: Endpoint): string {
  const host = isIPv6(endpoint.host) ? `[${endpoint.host}]` : endpoint.host;
  return `${host}:${endpoint.port}`;
}

/** Options common to every dsock error. */
export interface SocketErrorOptions {
  /** The endpoint the failed operation was about (the peer, or the local address). */
  endpoint?: { host: string; port: number } | undefined;
  /** The error that caused this one, usually a Node system error. */
  cause?: unknown;
}

/**
 * The codes of dsock's errors: one per error class, `ERR_SOCKET` for a failure no class
 * describes, and the few system codes raised as a plain {@link SocketError}. A system error
 * that no class describes keeps its own code (such as `ENOBUFS`), hence the open end: any
 * other string.
 */
export type SocketErrorCode =
  | 'ERR_SOCKET'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_INVALID_ENDPOINT'
  | 'ERR_SOCKET_CLOSED'
  | 'ERR_INCOMPLETE_READ'
  | 'ERR_FRAME_TOO_LARGE'
  | 'ERR_PROTOCOL'
  | 'ERR_PEER_UNREACHABLE'
  | 'ERR_RPC_REMOTE'
  | 'ERR_TLS_CERTIFICATE'
  | 'ERR_TLS_HANDSHAKE'
  | 'ERR_TRACE_FILE'
  | 'ABORT_ERR'
  | 'ETIMEDOUT'
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'EADDRINUSE'
  | 'EADDRNOTAVAIL'
  | 'EACCES'
  | 'EMSGSIZE'
  | 'EHOSTUNREACH'
  | 'ENOTFOUND'
  | 'EALREADY'
  | 'EDESTADDRREQ'
  | 'ENODEV'
  | (string & {});

/**
 * The base class of every error raised by dsock. Each class has a constant `name` (the class's
 * name, kept when the code is minified) and a stable `code`.
 *
 * @example
 * ```ts
 * import { SocketError, StreamServer, StreamSocket } from 'dsock';
 *
 * // A port nobody listens on: one a server had, now closed.
 * const server = await StreamServer.listen('127.0.0.1:0');
 * const { port } = server.localEndpoint;
 * await server.close();
 * try {
 *   await StreamSocket.connect({ host: '127.0.0.1', port }, { timeout: 1000 });
 * } catch (error) {
 *   if (!(error instanceof SocketError)) throw error;
 *   switch (error.code) {
 *     case 'ECONNREFUSED': // a ConnectionRefusedError
 *       console.log(`${error.name}: nobody listens at port ${error.endpoint?.port}`);
 *       break;
 *     case 'ETIMEDOUT':
 *       console.log('no answer within a second');
 *       break;
 *     default:
 *       throw error;
 *   }
 * }
 * ```
 */
export class SocketError extends Error {
  override readonly name: string = 'SocketError';
  /** A stable, machine-readable code such as `ECONNREFUSED` or `ERR_SOCKET_CLOSED`. */
  readonly code: SocketErrorCode;
  /** The endpoint involved, when the operation had one. */
  readonly endpoint: { host: string; port: number } | undefined;

  constructor(message: string, code: SocketErrorCode, options: SocketErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.endpoint = options.endpoint;
  }
}

/**
 * A short description of a value for error messages: strings quoted, numbers, booleans, null
 * and undefined as they are, anything else by its kind (`an array`, `object`, `function`).
 * @internal
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) {
    return String(value);
  }
  if (typeof value === 'bigint') return `${value}n`;
  return Array.isArray(value) ? 'an array' : typeof value;
}

/** Options of an {@link InvalidArgumentError}. */
export interface InvalidArgumentErrorOptions extends SocketErrorOptions {
  /**
   * The message, when `"<argument> must be <expected>, got <actual>"` does not say it well
   * (an argument that is fine alone but not together with another).
   */
  message?: string | undefined;
}

/**
 * An argument or option that dsock cannot use: of the wrong type, out of range, or not one of
 * the values allowed. It is raised before anything is sent, bound or waited for: thrown by
 * synchronous calls and constructors, the rejection of asynchronous ones. Its message reads
 * `"<argument> must be <expected>, got <actual>"`, e.g.
 * `"ttl must be an integer from 1 to 255, got 300"`.
 *
 * @example
 * ```ts
 * import { DatagramSocket, InvalidArgumentError } from 'dsock';
 *
 * try {
 *   await DatagramSocket.bind(0, { family: 'IPv5' as 'IPv4' });
 * } catch (error) {
 *   if (!(error instanceof InvalidArgumentError)) throw error;
 *   console.log(error.argument, error.actual); // family IPv5
 *   console.log(error.message); // family must be 'IPv4' or 'IPv6', got "IPv5"
 * }
 * ```
 */
export class InvalidArgumentError extends SocketError {
  override readonly name = 'InvalidArgumentError';
  declare readonly code: 'ERR_INVALID_ARGUMENT';
  /** The argument or option that is wrong, as the caller named it: `ttl`, `family`, `timeout`. */
  readonly argument: string;
  /** What it must be, in words: `an integer from 1 to 255`. */
  readonly expected: string;
  /** The value that was given. */
  readonly actual: unknown;

  constructor(
    argument: string,
    expected: string,
    actual: unknown,
    options: InvalidArgumentErrorOptions = {},
  ) {
    super(
      options.message ?? `${argument} must be ${expected}, got ${describeValue(actual)}`,
      'ERR_INVALID_ARGUMENT',
      options,
    );
    this.argument = argument;
    this.expected = expected;
    this.actual = actual;
  }
}

/** Which part of an endpoint text was wrong. */
export type EndpointPart = 'host' | 'port' | 'endpoint';

/** Text or an object that does not name a valid endpoint. */
export class InvalidEndpointError extends SocketError {
  override readonly name = 'InvalidEndpointError';
  declare readonly code: 'ERR_INVALID_ENDPOINT';
  /** The input as given. */
  readonly input: unknown;
  /** The part that is wrong. */
  readonly part: EndpointPart;

  constructor(message: string, input: unknown, part: EndpointPart) {
    super(message, 'ERR_INVALID_ENDPOINT');
    this.input = input;
    this.part = part;
  }
}

/** The socket was closed, before or during the operation. */
export class SocketClosedError extends SocketError {
  override readonly name = 'SocketClosedError';
  declare readonly code: 'ERR_SOCKET_CLOSED';
  constructor(message = 'socket is closed', options: SocketErrorOptions = {}) {
    super(message, 'ERR_SOCKET_CLOSED', options);
  }
}

/**
 * An operation did not complete within its timeout, or the system gave up on it (a system
 * ETIMEDOUT, such as TCP's retransmission timeout: the peer stopped answering).
 */
export class TimeoutError extends SocketError {
  override readonly name = 'TimeoutError';
  declare readonly code: 'ETIMEDOUT';
  /**
   * The timeout that expired, in milliseconds; `NaN` when the system timed out the operation
   * (no timeout of the caller's expired).
   */
  readonly timeout: number;

  constructor(message: string, timeout: number, options: SocketErrorOptions = {}) {
    super(message, 'ETIMEDOUT', options);
    this.timeout = timeout;
  }
}

/** An operation was cancelled through its AbortSignal. */
export class AbortError extends SocketError {
  override readonly name = 'AbortError';
  declare readonly code: 'ABORT_ERR';
  constructor(message = 'the operation was aborted', options: SocketErrorOptions = {}) {
    super(message, 'ABORT_ERR', options);
  }
}

/** Nobody listens at the remote endpoint (TCP RST in answer to SYN, or ICMP port unreachable). */
export class ConnectionRefusedError extends SocketError {
  override readonly name = 'ConnectionRefusedError';
  declare readonly code: 'ECONNREFUSED';
  constructor(message: string, options: SocketErrorOptions = {}) {
    super(message, 'ECONNREFUSED', options);
  }
}

/** The peer reset the connection, or it broke while data was in flight. */
export class ConnectionResetError extends SocketError {
  override readonly name = 'ConnectionResetError';
  declare readonly code: 'ECONNRESET';
  constructor(message: string, options: SocketErrorOptions = {}) {
    super(message, 'ECONNRESET', options);
  }
}

/** The local address and port are already bound by another socket. */
export class AddressInUseError extends SocketError {
  override readonly name = 'AddressInUseError';
  declare readonly code: 'EADDRINUSE';
  constructor(message: string, options: SocketErrorOptions = {}) {
    super(message, 'EADDRINUSE', options);
  }
}

/** The local address to bind is not an address of this machine. */
export class AddressNotAvailableError extends SocketError {
  override readonly name = 'AddressNotAvailableError';
  declare readonly code: 'EADDRNOTAVAIL';
  constructor(message: string, options: SocketErrorOptions = {}) {
    super(message, 'EADDRNOTAVAIL', options);
  }
}

/** The operating system refused the operation, e.g. binding a reserved port unprivileged. */
export class PermissionDeniedError extends SocketError {
  override readonly name = 'PermissionDeniedError';
  declare readonly code: 'EACCES';
  constructor(message: string, options: SocketErrorOptions = {}) {
    super(message, 'EACCES', options);
  }
}

/** A datagram (or message) is larger than the protocol or the configuration allows. */
export class MessageTooLargeError extends SocketError {
  override readonly name = 'MessageTooLargeError';
  declare readonly code: 'EMSGSIZE';
  /** The size that was asked for, in bytes. */
  readonly size: number;
  /** The largest size allowed, in bytes. */
  readonly limit: number;

  constructor(message: string, size: number, limit: number, options: SocketErrorOptions = {}) {
    super(message, 'EMSGSIZE', options);
    this.size = size;
    this.limit = limit;
  }
}

/** The stream ended before the requested number of bytes arrived (like asyncio's). */
export class IncompleteReadError extends SocketError {
  override readonly name = 'IncompleteReadError';
  declare readonly code: 'ERR_INCOMPLETE_READ';
  /** The bytes that were read before the end of the stream. */
  readonly partial: Buffer;
  /** How many bytes were expected in total. */
  readonly expected: number;

  constructor(partial: Buffer, expected: number, options: SocketErrorOptions = {}) {
    const where = options.endpoint ? ` from ${formatEndpoint(options.endpoint)}` : '';
    super(
      `stream${where} ended after ${partial.length} of ${expected} expected bytes`,
      'ERR_INCOMPLETE_READ',
      options,
    );
    this.partial = partial;
    this.expected = expected;
  }
}

/**
 * A peer announced a framed message longer than the receiver accepts. The frame is refused
 * before any memory is set aside for it, and the connection is closed.
 */
export class FrameTooLargeError extends SocketError {
  override readonly name = 'FrameTooLargeError';
  declare readonly code: 'ERR_FRAME_TOO_LARGE';
  /** The length the peer announced, in bytes. */
  readonly size: number;
  /** The largest length accepted, in bytes. */
  readonly limit: number;

  constructor(message: string, size: number, limit: number, options: SocketErrorOptions = {}) {
    super(message, 'ERR_FRAME_TOO_LARGE', options);
    this.size = size;
    this.limit = limit;
  }
}

/** A peer sent bytes that break the wire protocol, such as a malformed length prefix. */
export class ProtocolError extends SocketError {
  override readonly name = 'ProtocolError';
  declare readonly code: 'ERR_PROTOCOL';
  constructor(message: string, options: SocketErrorOptions = {}) {
    super(message, 'ERR_PROTOCOL', options);
  }
}

/**
 * A trace file that cannot be read: missing, unreadable, too large, or with a line that is not
 * a dsock trace event. The message names the file, and the line where one is at fault:
 * `run.jsonl:12: not a JSON object`.
 *
 * @example
 * ```ts
 * import { readTrace, TraceFileError } from 'dsock';
 *
 * try {
 *   readTrace('/nonexistent/run.jsonl');
 * } catch (error) {
 *   if (!(error instanceof TraceFileError)) throw error;
 *   console.log(error.file, error.line); // /nonexistent/run.jsonl undefined
 * }
 * ```
 */
export class TraceFileError extends SocketError {
  override readonly name = 'TraceFileError';
  declare readonly code: 'ERR_TRACE_FILE';
  /** The file at fault, as it was named. */
  readonly file: string;
  /** The line at fault (from 1), when the file could be read. */
  readonly line: number | undefined;

  constructor(
    file: string,
    line: number | undefined,
    reason: string,
    options: SocketErrorOptions = {},
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${reason}`, 'ERR_TRACE_FILE', options);
    this.file = file;
    this.line = line;
  }
}

/**
 * A remote procedure call reached the server and the server answered with an error. The
 * message is the server's text exactly as it sent it (for the course's Python servers, the
 * exception's arguments joined by spaces: `User with ID ada not found`).
 */
export class RemoteError extends SocketError {
  override readonly name = 'RemoteError';
  declare readonly code: 'ERR_RPC_REMOTE';
  /** The method that failed. */
  readonly method: string;

  constructor(method: string, text: string, options: SocketErrorOptions = {}) {
    super(text, 'ERR_RPC_REMOTE', options);
    this.method = method;
  }
}

/**
 * A peer of a reliable datagram socket stopped acknowledging: its messages could not be
 * delivered within the peer timeout, and its state was freed.
 */
export class PeerUnreachableError extends SocketError {
  override readonly name = 'PeerUnreachableError';
  declare readonly code: 'ERR_PEER_UNREACHABLE';
  constructor(message: string, options: SocketErrorOptions = {}) {
    super(message, 'ERR_PEER_UNREACHABLE', options);
  }
}

/** No route to the remote host or network. */
export class HostUnreachableError extends SocketError {
  override readonly name = 'HostUnreachableError';
  declare readonly code: 'EHOSTUNREACH';
  constructor(message: string, options: SocketErrorOptions = {}) {
    super(message, 'EHOSTUNREACH', options);
  }
}

/** A host name could not be resolved to an address. */
export class NameResolutionError extends SocketError {
  override readonly name = 'NameResolutionError';
  declare readonly code: 'ENOTFOUND';
  /** The name that did not resolve. */
  readonly hostname: string;

  constructor(message: string, hostname: string, options: SocketErrorOptions = {}) {
    super(message, 'ENOTFOUND', options);
    this.hostname = hostname;
  }
}

/**
 * Why a TLS peer's certificate was refused: `'self-signed'` (signed by itself and not given as
 * trusted: pass it as `ca`), `'unknown CA'` (signed by an authority not trusted here),
 * `'expired'`, `'not yet valid'`, `'wrong name'` (valid, but not for the name connected to),
 * `'revoked'`, `'no certificate'` (the peer sent none), or `'invalid'` (anything else the
 * verification refused: see the error's `cause`).
 */
export type CertificateProblem =
  | 'self-signed'
  | 'unknown CA'
  | 'expired'
  | 'not yet valid'
  | 'wrong name'
  | 'revoked'
  | 'no certificate'
  | 'invalid';

/**
 * A TLS connection was refused because the peer's certificate did not verify. `problem` says
 * why; `cause` is Node's error (its `code`, such as `DEPTH_ZERO_SELF_SIGNED_CERT`).
 *
 * @example
 * ```ts
 * import { CertificateError, createSelfSignedCertificate, StreamServer, StreamSocket } from 'dsock';
 *
 * const { cert, key } = await createSelfSignedCertificate({ hosts: ['localhost'] });
 * await using server = await StreamServer.listen('127.0.0.1:0', { tls: { cert, key } });
 * try {
 *   // No `ca`: the server's self-signed certificate is not trusted.
 *   await StreamSocket.connect(server.localEndpoint, { tls: { servername: 'localhost' }, timeout: 5000 });
 * } catch (error) {
 *   if (!(error instanceof CertificateError)) throw error;
 *   console.log(error.problem); // self-signed
 * }
 * ```
 */
export class CertificateError extends SocketError {
  override readonly name = 'CertificateError';
  declare readonly code: 'ERR_TLS_CERTIFICATE';
  /** Why the certificate was refused. */
  readonly problem: CertificateProblem;

  constructor(message: string, problem: CertificateProblem, options: SocketErrorOptions = {}) {
    super(message, 'ERR_TLS_CERTIFICATE', options);
    this.problem = problem;
  }
}

/**
 * A TLS handshake failed for a reason other than the certificate: no protocol version or
 * cipher in common, no ALPN protocol in common, a peer that does not speak TLS, or one that
 * stalled past the handshake timeout.
 */
export class TlsHandshakeError extends SocketError {
  override readonly name = 'TlsHandshakeError';
  declare readonly code: 'ERR_TLS_HANDSHAKE';
  constructor(message: string, options: SocketErrorOptions = {}) {
    super(message, 'ERR_TLS_HANDSHAKE', options);
  }
}

/** What the failed operation was doing, for the error message. */
export type SocketOperation = 'bind' | 'connect' | 'listen' | 'send' | 'receive' | 'accept';

const RESERVED_PORTS_NOTE =
  'ports 1-1023 are reserved for well-known services and need privileges to bind; ' +
  'use a port from 1024 up, or 0 to let the system choose one';

function describe(operation: SocketOperation, endpoint: Endpoint | undefined): string {
  if (!endpoint) return operation;
  const preposition = operation === 'bind' || operation === 'listen' ? 'on' : 'to';
  const target = operation === 'receive' ? 'from' : preposition;
  return `${operation} ${target} ${formatEndpoint(endpoint)}`;
}

/**
 * Turns an error raised by Node (usually a system error with a `code`) into the dsock error
 * a caller expects, naming the operation and the endpoint. dsock errors pass through as they are.
 */
export function toSocketError(
  error: unknown,
  operation: SocketOperation,
  endpoint?: Endpoint,
): SocketError {
  if (error instanceof SocketError) return error;
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const options = { endpoint, cause: error };
  const what = describe(operation, endpoint);
  switch (code) {
    case 'ECONNREFUSED':
      return new ConnectionRefusedError(`${what} failed: connection refused`, options);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return new ConnectionResetError(`${what} failed: connection reset by peer`, options);
    case 'EADDRINUSE':
      return new AddressInUseError(`${what} failed: address already in use`, options);
    case 'EADDRNOTAVAIL':
      return new AddressNotAvailableError(
        `${what} failed: the address is not available on this machine`,
        options,
      );
    case 'EACCES':
    case 'EPERM': {
      const reserved = endpoint !== undefined && endpoint.port >= 1 && endpoint.port <= 1023;
      const note = reserved && (operation === 'bind' || operation === 'listen');
      return new PermissionDeniedError(
        `${what} failed: permission denied${note ? ` (${RESERVED_PORTS_NOTE})` : ''}`,
        options,
      );
    }
    case 'EMSGSIZE':
      return new MessageTooLargeError(`${what} failed: message too long`, -1, -1, options);
    case 'ETIMEDOUT':
      return new TimeoutError(
        `${what} failed: the system timed out (ETIMEDOUT): the peer did not answer, e.g. ` +
          'TCP gave up retransmitting the connection request or unacknowledged data',
        Number.NaN,
        options,
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return new HostUnreachableError(`${what} failed: host unreachable (${code})`, options);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
    case 'EAI_FAIL':
    case 'EAI_NODATA': {
      const hostname =
        (error as { hostname?: string }).hostname ?? endpoint?.host ?? '(unknown host)';
      return new NameResolutionError(
        `${what} failed: cannot resolve host name "${hostname}"`,
        hostname,
        options,
      );
    }
    case 'ERR_SOCKET_DGRAM_NOT_RUNNING':
    case 'ERR_SOCKET_CLOSED':
    case 'ERR_STREAM_DESTROYED':
    case 'ERR_STREAM_WRITE_AFTER_END':
    case 'ERR_SERVER_NOT_RUNNING':
      return new SocketClosedError(`${what} failed: socket is closed`, options);
    case 'ABORT_ERR':
      return new AbortError(`${what} was aborted`, options);
    default: {
      const detail = error instanceof Error ? error.message : String(error);
      return new SocketError(`${what} failed: ${detail}`, code || 'ERR_SOCKET', options);
    }
  }
}
