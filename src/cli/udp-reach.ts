import { isIPv4 } from 'node:net';
import { isIPv6Address } from '../endpoint/ip-version.js';
import type { DatagramSocket } from '../datagram/datagram-socket.js';
import type { AddressFamily, Endpoint } from '../endpoint/endpoint.js';
import { interfaceAddress, localAddresses } from '../endpoint/interfaces.js';
import { SocketError } from '../errors.js';
import { numberOption, stringOption, type ParsedArgs } from './args.js';
import { UsageError } from './usage-error.js';

/** The options of `udp send` that reach more than one host: broadcast, multicast TTL, interface. */
export const SEND_REACH_OPTIONS = {
  broadcast: { type: 'boolean' },
  ttl: { type: 'string' },
  interface: { type: 'string' },
} as const;

export const SEND_REACH_HELP = `  --broadcast        allow sending to a broadcast address (255.255.255.255 or a subnet's)
  --ttl N            hops the datagrams may take: for a multicast group 0..255 (default 1,
                     this LAN only), else 1..255
  --interface IFACE  the interface (name such as eth0, or an address of it) multicast leaves
                     by; for IPv4 also the source address of other datagrams`;

/** The options of `udp listen` that join multicast groups. */
export const LISTEN_REACH_OPTIONS = {
  join: { type: 'string' },
  interface: { type: 'string' },
} as const;

export const LISTEN_REACH_HELP = `  --join GROUPS      join these multicast groups (comma-separated; an IPv6 group may name its
                     interface as scope, ff02::1%eth1)
  --interface IFACE  join on this interface (name or address) only; by default each group is
                     joined on every multicast-capable interface, so that every LAN is heard`;

/** True for an IPv4 group (224.0.0.0/4) or an IPv6 one (ff00::/8). */
export function isMulticastAddress(host: string): boolean {
  if (isIPv4(host)) {
    const first = Number(host.slice(0, host.indexOf('.')));
    return first >= 224 && first <= 239;
  }
  return isIPv6Address(host) && /^ff/i.test(host);
}

/** True for the limited broadcast address or the broadcast address of a local subnet. */
function isBroadcastAddress(host: string): boolean {
  if (host === '255.255.255.255') return true;
  return localAddresses().some((address) => address.broadcast === host);
}

function checkedInterface(
  value: string | boolean | undefined,
  family: AddressFamily,
): string | undefined {
  const text = stringOption(value);
  if (text === undefined) return undefined;
  try {
    return interfaceAddress(text, family);
  } catch (error) {
    const reason = error instanceof SocketError ? error.message : String(error);
    throw new UsageError(`invalid --interface "${text}": ${reason}`);
  }
}

/** How `udp send` binds and sets up its socket for `peer`, checked before anything is sent. */
export interface SendReach {
  /** The local address to bind: the interface's for IPv4 unicast and broadcast, else any. */
  bindHost: string | undefined;
  /** Applies the options to the bound socket. */
  apply(socket: DatagramSocket): void;
}

/**
 * Reads `udp send`'s --broadcast, --ttl and --interface for a datagram to `peer`. A broadcast
 * address without --broadcast is a usage error that says to add it.
 */
export function sendReach(values: ParsedArgs['values'], peer: Endpoint): SendReach {
  const family: AddressFamily = isIPv6Address(peer.host) ? 'IPv6' : 'IPv4';
  const multicast = isMulticastAddress(peer.host);
  const broadcast = values.broadcast === true;
  if (!broadcast && !multicast && isBroadcastAddress(peer.host)) {
    throw new UsageError(
      `${peer.host} is a broadcast address: add --broadcast to send to every host of the LAN`,
    );
  }
  const ttl = numberOption(values.ttl, 'ttl', { min: multicast ? 0 : 1, max: 255, integer: true });
  const iface = checkedInterface(values.interface, family);
  return {
    bindHost: !multicast && family === 'IPv4' ? iface : undefined,
    apply(socket) {
      if (broadcast) socket.setBroadcast(true);
      if (multicast) {
        socket.setMulticastTTL(ttl ?? 1);
        if (iface !== undefined) socket.setMulticastInterface(iface);
      } else if (ttl !== undefined) {
        socket.setTTL(ttl);
      }
    },
  };
}

/** The groups of `--join`, checked; undefined without the option. */
export function groupsToJoin(values: ParsedArgs['values']): string[] | undefined {
  const text = stringOption(values.join);
  if (text === undefined) {
    if (values.interface !== undefined) throw new UsageError('--interface needs --join GROUP');
    return undefined;
  }
  const groups = text.split(',').map((group) => group.trim());
  for (const group of groups) {
    if (!isMulticastAddress(group)) {
      throw new UsageError(
        `invalid --join group "${group}": a group is in 224.0.0.0/4 (IPv4) or ff00::/8 (IPv6)`,
      );
    }
  }
  const families = new Set(groups.map((group) => (isIPv6Address(group) ? 'IPv6' : 'IPv4')));
  if (families.size > 1) {
    throw new UsageError('--join takes groups of one IP version: listen twice for both');
  }
  return groups;
}

/** The family a socket must have to join `groups`. */
export function familyOfGroups(groups: string[]): AddressFamily {
  return groups.some((group) => isIPv6Address(group)) ? 'IPv6' : 'IPv4';
}

/**
 * Joins each group on --interface, or on every multicast-capable interface, and returns one
 * status line per group. Fails if a group could be joined on no interface at all.
 */
export function joinGroups(
  socket: DatagramSocket,
  groups: string[],
  values: ParsedArgs['values'],
): string[] {
  const iface = checkedInterface(values.interface, socket.family);
  const lines: string[] = [];
  for (const group of groups) {
    if (iface !== undefined || group.includes('%')) {
      socket.joinGroup(group, iface === undefined ? undefined : stringOption(values.interface));
      lines.push(
        `# joined ${group}${iface === undefined ? '' : ` on ${String(values.interface)}`}`,
      );
      continue;
    }
    const joined = socket.joinGroupOnAllInterfaces(group);
    if (joined.length === 0) {
      throw new SocketError(
        `cannot join ${group}: no multicast-capable interface is up (see dsock ips)`,
        'ENODEV',
      );
    }
    lines.push(`# joined ${group} on ${joined.join(', ')}`);
  }
  return lines;
}
