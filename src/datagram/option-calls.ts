import type { AddressFamily } from '../endpoint/endpoint.js';
import { formatEndpoint } from '../endpoint/format.js';
import { multicastInterfaces } from '../endpoint/interfaces.js';
import { InvalidEndpointError, SocketError } from '../errors.js';
import { checkFlag, checkInteger } from '../internal/validate.js';
import { checkGroup, checkInterface, membershipInterface, optionError } from './addresses.js';
import type { Association } from './association.js';
import type { UdpTransport } from './transport.js';

/**
 * The socket-option calls of a datagram socket (SO_BROADCAST, TTLs, multicast, buffer sizes):
 * each checks its argument, applies it to the handle and maps a system error to a dsock error
 * that names the call. One part of a {@link DatagramSocket}; the documentation of each call is
 * on the socket's method of the same name.
 */
export class OptionCalls {
  readonly #transport: UdpTransport;
  readonly #family: AddressFamily;
  readonly #association: Association;
  #broadcast: boolean;

  constructor(
    transport: UdpTransport,
    family: AddressFamily,
    association: Association,
    broadcast: boolean,
  ) {
    this.#transport = transport;
    this.#family = family;
    this.#association = association;
    this.#broadcast = broadcast;
  }

  /** Whether sending to broadcast addresses is allowed, for the hints of send errors. */
  get broadcastAllowed(): boolean {
    return this.#broadcast;
  }

  get kernelReceiveBufferSize(): number {
    let size = 0;
    this.#option('kernelReceiveBufferSize', () => (size = this.#transport.getRecvBufferSize()));
    return size;
  }

  get kernelSendBufferSize(): number {
    let size = 0;
    this.#option('kernelSendBufferSize', () => (size = this.#transport.getSendBufferSize()));
    return size;
  }

  setBroadcast(flag: boolean): void {
    const value = checkFlag('flag', flag);
    this.#option('setBroadcast', () => this.#transport.setBroadcast(value));
    this.#broadcast = value;
  }

  setTTL(ttl: number): void {
    const value = checkInteger('ttl', ttl, 1, 255);
    this.#option('setTTL', () => this.#transport.setTTL(value));
  }

  setMulticastTTL(ttl: number): void {
    const value = checkInteger('ttl', ttl, 0, 255);
    this.#option('setMulticastTTL', () => this.#transport.setMulticastTTL(value));
  }

  setMulticastLoopback(flag: boolean): void {
    const value = checkFlag('flag', flag);
    this.#option('setMulticastLoopback', () => this.#transport.setMulticastLoopback(value));
  }

  setMulticastInterface(iface: string): void {
    this.#association.checkOpen('setMulticastInterface');
    const value = checkInterface(iface, this.#family);
    this.#option(`setMulticastInterface ${iface}`, () =>
      this.#transport.setMulticastInterface(value),
    );
  }

  joinGroup(group: string, iface?: string): void {
    this.#association.checkOpen('joinGroup');
    const value = checkGroup(group, this.#family);
    const on = membershipInterface(value, iface, this.#family);
    this.#option(`joinGroup ${group}${iface ? ` on ${iface}` : ''}`, () =>
      this.#transport.addMembership(value.group, on),
    );
  }

  leaveGroup(group: string, iface?: string): void {
    this.#association.checkOpen('leaveGroup');
    const value = checkGroup(group, this.#family);
    const on = membershipInterface(value, iface, this.#family);
    this.#option(`leaveGroup ${group}${iface ? ` on ${iface}` : ''}`, () =>
      this.#transport.dropMembership(value.group, on),
    );
  }

  joinGroupOnAllInterfaces(group: string): string[] {
    this.#association.checkOpen('joinGroupOnAllInterfaces');
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
        this.#transport.addMembership(value.group, face.address);
        joined.push(face.name);
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        // A member already, or the interface went away since it was listed.
        if (code === 'EADDRINUSE' || code === 'ENODEV' || code === 'EADDRNOTAVAIL') continue;
        throw optionError(`joinGroup ${group} on ${face.name}`, error, this.#association.local);
      }
    }
    return joined;
  }

  #option(what: string, apply: () => unknown): void {
    const association = this.#association;
    association.checkOpen(what);
    try {
      apply();
    } catch (error) {
      if (error instanceof SocketError) throw error;
      const local = association.local;
      throw optionError(`${what} on ${formatEndpoint(local)}`, error, local);
    }
  }
}
