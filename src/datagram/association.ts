import type { AddressFamily, Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { SocketClosedError, SocketError, toSocketError } from '../errors.js';
import { optionError } from './addresses.js';
import { toDestination } from './destination.js';
import { CLOSED } from './outbox.js';
import type { UdpTransport } from './transport.js';

/**
 * Where a datagram socket is and whom it talks to: the local address of its handle, the peer
 * a connect associates it with, and whether it is closed. One part of a {@link DatagramSocket},
 * which it alone changes.
 */
export class Association {
  readonly #transport: UdpTransport;
  readonly #family: AddressFamily;
  #local!: Endpoint;
  #remote: Endpoint | undefined;
  #connecting = false;
  #abortConnect: (() => void) | undefined;
  #closed = false;
  /** Names receives in errors; follows {@link local}, which connect and disconnect change. */
  #recvWhat = '';
  #recvManyWhat = '';

  constructor(transport: UdpTransport, family: AddressFamily) {
    this.#transport = transport;
    this.#family = family;
    this.#updateLocal();
  }

  get family(): AddressFamily {
    return this.#family;
  }

  /** The local endpoint, the socket's own object (callers copy it before handing it out). */
  get local(): Endpoint {
    return this.#local;
  }

  /** The connected peer, the socket's own object, or undefined. */
  get remote(): Endpoint | undefined {
    return this.#remote;
  }

  get connecting(): boolean {
    return this.#connecting;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** `recvFrom on <local>`, for the errors of receives. */
  get recvWhat(): string {
    return this.#recvWhat;
  }

  /** `recvMany on <local>`, for the errors of batch receives. */
  get recvManyWhat(): string {
    return this.#recvManyWhat;
  }

  /** See {@link DatagramSocket.connect}. */
  async connect(remote: EndpointLike): Promise<void> {
    this.checkOpen('connect');
    if (this.#connecting) {
      throw new SocketError('connect while another connect is in progress', 'EALREADY', {
        endpoint: this.#local,
      });
    }
    const endpoint = toDestination(remote, this.#family);
    if (this.#remote !== undefined) this.disconnect();
    this.#connecting = true;
    try {
      await new Promise<void>((resolve, reject) => {
        // Node never calls back a connect that the socket's closing overtook.
        this.#abortConnect = () => reject(CLOSED);
        this.#transport.connect(endpoint.port, endpoint.host, (error?: Error) => {
          if (error) reject(error);
          else resolve();
        });
      });
    } catch (error) {
      throw this.#closed ? this.closedError('connect') : toSocketError(error, 'connect', endpoint);
    } finally {
      this.#connecting = false;
      this.#abortConnect = undefined;
    }
    if (this.#closed) throw this.closedError('connect');
    const peer = this.#transport.remoteAddress();
    this.#remote = { host: peer.address, port: peer.port };
    this.#updateLocal();
  }

  /** See {@link DatagramSocket.disconnect}. */
  disconnect(): void {
    this.checkOpen('disconnect');
    if (this.#connecting) {
      throw new SocketError('disconnect while a connect is in progress', 'EALREADY', {
        endpoint: this.#local,
      });
    }
    if (this.#remote === undefined) return;
    try {
      this.#transport.disconnect();
    } catch (error) {
      throw optionError(`disconnect from ${formatEndpoint(this.#remote)}`, error, this.#local);
    }
    this.#remote = undefined;
    this.#updateLocal();
  }

  /** Marks the socket closed; a connect under way rejects with {@link SocketClosedError}. */
  close(): void {
    this.#closed = true;
    this.#abortConnect?.();
  }

  /** Throws {@link SocketClosedError} naming `what` once the socket is closed. */
  checkOpen(what: string): void {
    if (this.#closed) throw this.closedError(what);
  }

  closedError(what: string): SocketClosedError {
    return new SocketClosedError(`${what} on ${formatEndpoint(this.#local)}: socket is closed`, {
      endpoint: this.#local,
    });
  }

  #updateLocal(): void {
    const address = this.#transport.address();
    this.#local = { host: address.address, port: address.port };
    const local = formatEndpoint(this.#local);
    this.#recvWhat = `recvFrom on ${local}`;
    this.#recvManyWhat = `recvMany on ${local}`;
  }
}
