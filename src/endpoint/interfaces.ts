import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { AddressNotAvailableError, InvalidEndpointError } from '../errors.js';
import type { AddressFamily } from './endpoint.js';

/** What kind of address and interface a {@link LocalAddress} is. */
export interface AddressFlags {
  /** A loopback address (127.0.0.0/8, ::1): reachable from this machine only. */
  loopback: boolean;
  /** The interface can send and receive multicast (IFF_MULTICAST). */
  multicast: boolean;
  /**
   * A link-local address (fe80::/10, 169.254.0.0/16): reachable from the same link only, and
   * only with the interface as its scope (`fe80::1%eth0`).
   */
  linkLocal: boolean;
  /** The interface has a broadcast address (IFF_BROADCAST; IPv4 only). */
  broadcast: boolean;
}

/** One address of one local network interface. */
export interface LocalAddress {
  /** The address literal, e.g. `192.168.1.20` or `fe80::1`. */
  address: string;
  /**
   * The address as it must be written to be used: {@link address} with the interface as scope
   * for an IPv6 link-local address (`fe80::1%eth0`), {@link address} otherwise.
   */
  scopedAddress: string;
  family: AddressFamily;
  /** The interface's name, e.g. `eth0` or `lo`. */
  interfaceName: string;
  /** True for loopback addresses, which are reachable from this machine only. */
  internal: boolean;
  /** The network in CIDR notation, e.g. `192.168.1.20/24`. */
  cidr: string | null;
  /** The length of the network prefix, e.g. 24. */
  prefixLength: number;
  /** The subnet's broadcast address (IPv4 on a broadcast-capable interface), or null. */
  broadcast: string | null;
  flags: AddressFlags;
  /** The IPv6 scope id (interface index) of a link-local address. */
  scopeId?: number;
}

/** Which local addresses {@link localAddresses} lists. */
export interface LocalAddressesOptions {
  /** `'IPv4'` (the default), `'IPv6'`, or `'any'` for both. */
  family?: AddressFamily | 'any';
  /**
   * `true` lists only loopback addresses, `false` only the ones other machines can reach;
   * left out, both.
   */
  internal?: boolean;
}

// Interface flags of Linux's <net/if.h>, as /sys/class/net/NAME/flags shows them.
const IFF_BROADCAST = 0x2;
const IFF_LOOPBACK = 0x8;
const IFF_MULTICAST = 0x1000;

/**
 * The interface flags of `name` from /sys (Linux), or a guess from the address where /sys does
 * not have them: loopback interfaces are not multicast-capable, others are.
 */
function interfaceFlags(name: string, internal: boolean): number {
  try {
    const text = readFileSync(`/sys/class/net/${name}/flags`, 'utf8').trim();
    const flags = Number.parseInt(text, 16);
    if (Number.isInteger(flags)) return flags;
  } catch {
    // not Linux, or /sys of another network namespace than ours
  }
  return internal ? IFF_LOOPBACK : IFF_BROADCAST | IFF_MULTICAST;
}

function isLinkLocal(info: NetworkInterfaceInfo): boolean {
  if (info.family === 'IPv4') return info.address.startsWith('169.254.');
  return /^fe[89ab][0-9a-f]:/i.test(info.address);
}

function ipv4Number(address: string): number {
  return address.split('.').reduce((sum, part) => sum * 256 + Number(part), 0);
}

function ipv4Text(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

function prefixLengthOf(info: NetworkInterfaceInfo): number {
  const cidr = info.cidr;
  if (cidr !== null) return Number(cidr.slice(cidr.lastIndexOf('/') + 1));
  return info.family === 'IPv4' ? 32 : 128;
}

/**
 * The addresses of this machine's network interfaces (those up and running), IPv4 by default,
 * with each one's prefix length, broadcast address and flags. Loopback and link-local addresses
 * are flagged: only the others can be given to peers on other machines.
 *
 * @example
 * ```ts
 * import { localAddresses } from 'dsock';
 * const forPeers = localAddresses({ family: 'any' }).filter(
 *   (a) => !a.flags.loopback && !a.flags.linkLocal,
 * );
 * console.log(forPeers.map((a) => `${a.interfaceName} ${a.address}/${a.prefixLength}`));
 * ```
 */
export function localAddresses(options: LocalAddressesOptions = {}): LocalAddress[] {
  const family = options.family ?? 'IPv4';
  const result: LocalAddress[] = [];
  for (const [interfaceName, infos] of Object.entries(networkInterfaces())) {
    for (const info of infos ?? []) {
      if (family !== 'any' && info.family !== family) continue;
      if (options.internal !== undefined && info.internal !== options.internal) continue;
      const bits = interfaceFlags(interfaceName, info.internal);
      const prefixLength = prefixLengthOf(info);
      const linkLocal = isLinkLocal(info);
      const hasBroadcast = info.family === 'IPv4' && (bits & IFF_BROADCAST) !== 0;
      const hostBits = 2 ** (32 - prefixLength);
      const entry: LocalAddress = {
        address: info.address,
        scopedAddress:
          info.family === 'IPv6' && linkLocal ? `${info.address}%${interfaceName}` : info.address,
        family: info.family,
        interfaceName,
        internal: info.internal,
        cidr: info.cidr,
        prefixLength,
        broadcast:
          hasBroadcast && prefixLength < 31
            ? ipv4Text(Math.floor(ipv4Number(info.address) / hostBits) * hostBits + hostBits - 1)
            : null,
        flags: {
          loopback: info.internal || (bits & IFF_LOOPBACK) !== 0,
          multicast: (bits & IFF_MULTICAST) !== 0,
          linkLocal,
          broadcast: hasBroadcast,
        },
      };
      if (info.family === 'IPv6') entry.scopeId = info.scopeid;
      result.push(entry);
    }
  }
  return result;
}

/** A multicast-capable interface, as {@link multicastInterfaces} lists it. */
export interface MulticastInterface {
  /** The interface's name, e.g. `eth0`. */
  name: string;
  /**
   * What the system's multicast calls take to name it: its IPv4 address, or for IPv6 the
   * any-address scoped to it (`::%eth0`).
   */
  address: string;
}

/**
 * The interfaces, up and running, that can carry multicast of `family` (IPv4 ones need an IPv4
 * address), loopback left out: the interfaces to join a group on to hear it on every LAN.
 */
export function multicastInterfaces(family: AddressFamily): MulticastInterface[] {
  const seen = new Map<string, MulticastInterface>();
  for (const entry of localAddresses({ family })) {
    if (!entry.flags.multicast || entry.flags.loopback || seen.has(entry.interfaceName)) continue;
    seen.set(entry.interfaceName, {
      name: entry.interfaceName,
      address: family === 'IPv4' ? entry.address : `::%${entry.interfaceName}`,
    });
  }
  return [...seen.values()];
}

const INTERFACE_NAME = /^[A-Za-z0-9_.:@-]{1,15}$/;

function interfaceNames(): string {
  return Object.keys(networkInterfaces()).join(', ');
}

/**
 * Turns an interface given by name (`eth0`) or by address into what the system's multicast
 * calls take for a socket of `family`: an IPv4 address of the interface, or for IPv6 the
 * any-address scoped to it (`::%eth0`). An IPv4 address is taken as it is (the system checks
 * it); an IPv6 address is looked up among the local ones for its interface, unless it carries
 * a scope already. Throws {@link InvalidEndpointError} for text that is neither, and
 * {@link AddressNotAvailableError} for a name or IPv6 address no interface has.
 */
export function interfaceAddress(iface: unknown, family: AddressFamily): string {
  if (typeof iface === 'string') {
    if (family === 'IPv4' && isIPv4(iface)) return iface;
    if (family === 'IPv6' && isIPv6(iface)) {
      const at = iface.indexOf('%');
      if (at >= 0) return `::%${scopeName(iface.slice(at + 1), iface)}`;
      const owner = localAddresses({ family: 'IPv6' }).find((a) => a.address === iface);
      if (owner === undefined) {
        throw new AddressNotAvailableError(
          `no local interface has the address ${iface} (interfaces: ${interfaceNames()})`,
        );
      }
      return `::%${owner.interfaceName}`;
    }
    if (!isIPv4(iface) && !isIPv6(iface) && INTERFACE_NAME.test(iface)) {
      const infos = networkInterfaces()[iface];
      if (infos === undefined) {
        throw new AddressNotAvailableError(
          `no interface named "${iface}" is up on this machine (interfaces: ${interfaceNames()})`,
        );
      }
      if (family === 'IPv6') return `::%${iface}`;
      const v4 = infos.find((info) => info.family === 'IPv4');
      if (v4 === undefined) {
        throw new AddressNotAvailableError(
          `interface "${iface}" has no IPv4 address, which an IPv4 socket needs to use it`,
        );
      }
      return v4.address;
    }
  }
  throw new InvalidEndpointError(
    `invalid interface ${JSON.stringify(iface)} for an ${family} socket: ` +
      (family === 'IPv4'
        ? 'give an interface name such as "eth0" or its IPv4 address, such as "127.0.0.1"'
        : 'give an interface name such as "eth0", an address of it, or "::%eth0"'),
    iface,
    'host',
  );
}

/** The interface name of a scope (`eth0`, or an index such as `2`). */
function scopeName(scope: string, input: string): string {
  if (!/^[0-9]+$/.test(scope)) {
    if (networkInterfaces()[scope] !== undefined) return scope;
    throw new AddressNotAvailableError(
      `no interface named "${scope}" is up on this machine (in ${input}; ` +
        `interfaces: ${interfaceNames()})`,
    );
  }
  const index = Number(scope);
  const owner = localAddresses({ family: 'IPv6' }).find((a) => a.scopeId === index);
  if (owner !== undefined) return owner.interfaceName;
  throw new AddressNotAvailableError(
    `no interface has index ${scope} (in ${input}; interfaces: ${interfaceNames()})`,
  );
}
