import type { AddressFamily, Endpoint, EndpointLike } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { InvalidEndpointError, SocketClosedError, SocketError, toSocketError } from '../errors.js';
import { multicastInterfaces } from '../endpoint/interfaces.js';
import { checkGroup, checkInterface, membershipInterface, optionError } from './addresses.js';
import { toDestination } from './destination.js';
import { checkFlag, checkInteger } from '../internal/validate.js';
import { MAX_DATAGRAM_SIZE } from './options.js';
import { CLOSED } from './outbox.js';
import type { DatagramBackend, UdpTransport } from './transport.js';

/**
 * What a datagram socket is apart from the datagrams it carries: its handle, its addresses,
 * the association {@link connect} makes, its socket options and whether it is closed.
 * {@link DatagramSocket} adds sending, receiving and closing.
 */
export abstract class DatagramSocketBase {
  /** @internal The UDP handle (over node:dgram or the native addon). */
  protected readonly transport: UdpTransport;
  readonly #family: AddressFamily;
  /** @internal */
  protected local!: Endpoint;
  /** @internal */
  protected remote: Endpoint | undefined;
  /** @internal */
  protected connecting = false;
  /** @internal */
  protected abortConnect: (() => void) | undefined;
  /** @internal Whether sending to broadcast addresses is allowed, for error hints. */
  protected broadcastAllowed: boolean;
  /** @internal */
  protected isClosed = false;
  /** @internal Names receives in errors; follows {@link local}, which connect and disconnect change. */
  protected recvWhat = '';

  /** @internal */
  protected constructor(transport: UdpTransport, family: AddressFamily, broadcast: boolean) {
    this.transport = transport;
    this.#family = family;
    this.broadcastAllowed = broadcast;
    this.updateLocal();
  }

  /** Which path carries this socket's datagrams: `'native'` (the addon) or `'node:dgram'`. */
  get backend(): DatagramBackend {
    return this.transport.backend;
  }

  /** True once {@link DatagramSocket.close} has been called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** The local address and port the socket is bound to. */
  get localEndpoint(): Endpoint {
    return { ...this.local };
  }

  /** The peer of a connected socket, or undefined. */
  get remoteEndpoint(): Endpoint | undefined {
    return this.remote === undefined ? undefined : { ...this.remote };
  }

  /** The IP version of the socket. */
  get family(): AddressFamily {
    return this.#family;
  }

  /** The largest payload one datagram can carry in this socket's family. */
  get maxMessageSize(): number {
    return MAX_DATAGRAM_SIZE[this.#family];
  }

  /** The kernel receive buffer size in bytes (SO_RCVBUF, as the system reports it). */
  get kernelReceiveBufferSize(): number {
    let size = 0;
    this.#option('kernelReceiveBufferSize', () => (size = this.transport.getRecvBufferSize()));
    return size;
  }

  /** The kernel send buffer size in bytes (SO_SNDBUF, as the system reports it). */
  get kernelSendBufferSize(): number {
    let size = 0;
    this.#option('kernelSendBufferSize', () => (size = this.transport.getSendBufferSize()));
    return size;
  }

  /**
   * Connects the socket to `remote`: datagrams then go there with {@link DatagramSocket.send}, and only that
   * peer's datagrams are received from now on (ones already held stay, as with Berkeley
   * sockets). Connecting a connected socket moves it to the new peer.
   *
   * The local port stays the same through connects, reconnects and {@link disconnect}, also
   * when the system chose it: {@link DatagramSocket.bind} binds even that port by number, because Linux
   * releases a port it chose itself when a connected socket is dissolved (Node's reconnect
   * dissolves the old association first), and the socket would then send from, and receive
   * on, a new port. The local address of a socket bound to the any-address becomes the
   * address the route to the peer leaves by ({@link localEndpoint} shows it), and the
   * any-address again after {@link disconnect}.
   */
  async connect(remote: EndpointLike): Promise<void> {
    this.checkOpen('connect');
    if (this.connecting) {
      throw new SocketError('connect while another connect is in progress', 'EALREADY', {
        endpoint: this.local,
      });
    }
    const endpoint = toDestination(remote, this.#family);
    if (this.remote !== undefined) this.disconnect();
    this.connecting = true;
    try {
      await new Promise<void>((resolve, reject) => {
        // Node never calls back a connect that the socket's closing overtook.
        this.abortConnect = () => reject(CLOSED);
        this.transport.connect(endpoint.port, endpoint.host, (error?: Error) => {
          if (error) reject(error);
          else resolve();
        });
      });
    } catch (error) {
      throw this.isClosed ? this.closedError('connect') : toSocketError(error, 'connect', endpoint);
    } finally {
      this.connecting = false;
      this.abortConnect = undefined;
    }
    if (this.isClosed) throw this.closedError('connect');
    const peer = this.transport.remoteAddress();
    this.remote = { host: peer.address, port: peer.port };
    this.updateLocal();
  }

  /**
   * Dissolves the association made by {@link connect}, so that datagrams from anyone are
   * received again; does nothing when not connected. The socket keeps its local port (see
   * {@link connect}).
   */
  disconnect(): void {
    this.checkOpen('disconnect');
    if (this.connecting) {
      throw new SocketError('disconnect while a connect is in progress', 'EALREADY', {
        endpoint: this.local,
      });
    }
    if (this.remote === undefined) return;
    try {
      this.transport.disconnect();
    } catch (error) {
      throw optionError(`disconnect from ${formatEndpoint(this.remote)}`, error, this.local);
    }
    this.remote = undefined;
    this.updateLocal();
  }

  /** Allows (or forbids again) sending to broadcast addresses (SO_BROADCAST). */
  setBroadcast(flag: boolean): void {
    const value = checkFlag('flag', flag);
    this.#option('setBroadcast', () => this.transport.setBroadcast(value));
    this.broadcastAllowed = value;
  }

  /** Sets the IP time-to-live (hop limit) of unicast datagrams, 1..255. */
  setTTL(ttl: number): void {
    const value = checkInteger('ttl', ttl, 1, 255);
    this.#option('setTTL', () => this.transport.setTTL(value));
  }

  /** Sets the time-to-live of multicast datagrams, 0..255; 0 keeps them on this host. */
  setMulticastTTL(ttl: number): void {
    const value = checkInteger('ttl', ttl, 0, 255);
    this.#option('setMulticastTTL', () => this.transport.setMulticastTTL(value));
  }

  /** Whether multicast datagrams this socket sends are also delivered to this host. */
  setMulticastLoopback(flag: boolean): void {
    const value = checkFlag('flag', flag);
    this.#option('setMulticastLoopback', () => this.transport.setMulticastLoopback(value));
  }

  /**
   * Chooses the interface multicast datagrams leave by, by name (`"eth0"`) or by address (an
   * IPv4 address of it; for IPv6 an address of it or the scoped any-address `"::%eth0"`).
   * Throws {@link AddressNotAvailableError} for an interface this machine does not have.
   */
  setMulticastInterface(iface: string): void {
    this.checkOpen('setMulticastInterface');
    const value = checkInterface(iface, this.#family);
    this.#option(`setMulticastInterface ${iface}`, () =>
      this.transport.setMulticastInterface(value),
    );
  }

  /**
   * Joins multicast `group` on interface `iface`, given by name (`"eth0"`) or address; left
   * out, on the interface the system chooses (the route to the group), or for an IPv6 group
   * with a scope (`"ff02::1%eth1"`) on that interface. Rejects a non-multicast address with
   * {@link InvalidEndpointError}; joining twice fails with {@link AddressInUseError}. To hear
   * a group on every LAN of a machine with several, see {@link joinGroupOnAllInterfaces}.
   */
  joinGroup(group: string, iface?: string): void {
    this.checkOpen('joinGroup');
    const value = checkGroup(group, this.#family);
    const on = membershipInterface(value, iface, this.#family);
    this.#option(`joinGroup ${group}${iface ? ` on ${iface}` : ''}`, () =>
      this.transport.addMembership(value.group, on),
    );
  }

  /** Leaves a multicast group joined with {@link joinGroup} (same `iface`). */
  leaveGroup(group: string, iface?: string): void {
    this.checkOpen('leaveGroup');
    const value = checkGroup(group, this.#family);
    const on = membershipInterface(value, iface, this.#family);
    this.#option(`leaveGroup ${group}${iface ? ` on ${iface}` : ''}`, () =>
      this.transport.dropMembership(value.group, on),
    );
  }

  /**
   * Joins multicast `group` on every multicast-capable interface that is up (loopback left
   * out; see {@link multicastInterfaces}), so that a machine on several LANs hears the group on
   * each of them. Interfaces where the socket is a member already are passed over, so calling
   * it again after interfaces came up joins just the new ones. Returns the names of the
   * interfaces joined by this call.
   *
   * @example
   * ```ts
   * const socket = await DatagramSocket.bind('0.0.0.0:5353', { reuseAddress: true });
   * console.log(`joined on ${socket.joinGroupOnAllInterfaces('239.255.77.77').join(', ')}`);
   * ```
   */
  joinGroupOnAllInterfaces(group: string): string[] {
    this.checkOpen('joinGroupOnAllInterfaces');
    const value = checkGroup(group, this.#family);
    if (value.scope !== undefined) {
      throw new InvalidEndpointError(
        `group ${group} names one interface by its scope: join it with joinGroup`,
        group,
        'host',
      );
    }
    const joined: string[] = [];
    for (const face of multicastInterfaces(this.#family)) {
      try {
        this.transport.addMembership(value.group, face.address);
        joined.push(face.name);
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        // A member already, or the interface went away since it was listed.
        if (code === 'EADDRINUSE' || code === 'ENODEV' || code === 'EADDRNOTAVAIL') continue;
        throw optionError(`joinGroup ${group} on ${face.name}`, error, this.local);
      }
    }
    return joined;
  }

  #option(what: string, apply: () => unknown): void {
    this.checkOpen(what);
    try {
      apply();
    } catch (error) {
      if (error instanceof SocketError) throw error;
      throw optionError(`${what} on ${formatEndpoint(this.local)}`, error, this.local);
    }
  }

  /** @internal */
  protected checkOpen(what: string): void {
    if (this.isClosed) throw this.closedError(what);
  }

  /** @internal */
  protected closedError(what: string): SocketClosedError {
    return new SocketClosedError(`${what} on ${formatEndpoint(this.local)}: socket is closed`, {
      endpoint: this.local,
    });
  }

  /** @internal */
  protected updateLocal(): void {
    const address = this.transport.address();
    this.local = { host: address.address, port: address.port };
    this.recvWhat = `recvFrom on ${formatEndpoint(this.local)}`;
  }
}
