import { isIPv4, isIPv6 } from 'node:net';
import type { AddressFamily, Endpoint } from '../endpoint/endpoint.js';
import { interfaceAddress } from '../endpoint/interfaces.js';
import {
  AddressInUseError,
  AddressNotAvailableError,
  InvalidEndpointError,
  PermissionDeniedError,
  SocketError,
  describeValue,
} from '../errors.js';

function isMulticast(address: string, family: AddressFamily): boolean {
  if (family === 'IPv4') {
    if (!isIPv4(address)) return false;
    const first = Number(address.slice(0, address.indexOf('.')));
    return first >= 224 && first <= 239;
  }
  return isIPv6(address) && /^ff/i.test(address);
}

/** A multicast group to join, and the interface its scope names (`ff02::1%eth1`), if any. */
export interface GroupAddress {
  group: string;
  /** The scope of an IPv6 group, as the system's calls take it (`::%eth1`). */
  scope: string | undefined;
}

/**
 * Checks a multicast group address of the socket's family. An IPv6 group may carry the
 * interface as scope (`ff02::1%eth1`), which is split off.
 */
export function checkGroup(group: unknown, family: AddressFamily): GroupAddress {
  if (typeof group === 'string' && isMulticast(group, family)) {
    const at = group.indexOf('%');
    if (at < 0) return { group, scope: undefined };
    return { group: group.slice(0, at), scope: interfaceAddress(group, family) };
  }
  const range = family === 'IPv4' ? '224.0.0.0 to 239.255.255.255' : 'ff00::/8';
  throw new InvalidEndpointError(
    `invalid multicast group ${describeValue(group)} for an ${family} socket: ` +
      `a group address is in ${range}`,
    group,
    'host',
  );
}

/**
 * Checks a local interface for a socket of `family`, given by name (`eth0`) or address (IPv6
 * ones may carry a scope: `"::%lo"`, `"fe80::1%eth0"`), and returns what the system's calls
 * take (see {@link interfaceAddress}).
 */
export function checkInterface(iface: unknown, family: AddressFamily): string {
  return interfaceAddress(iface, family);
}

/**
 * The interface of a group membership: the one given, else the group's scope. Throws
 * {@link InvalidEndpointError} when both are given and differ.
 */
export function membershipInterface(
  group: GroupAddress,
  iface: string | undefined,
  family: AddressFamily,
): string | undefined {
  const on = iface === undefined ? undefined : checkInterface(iface, family);
  if (on !== undefined && group.scope !== undefined && on !== group.scope) {
    throw new InvalidEndpointError(
      `group ${group.group}%${group.scope.slice(3)} is scoped to another interface than ` +
        `${describeValue(iface)}: give the interface once`,
      iface,
      'host',
    );
  }
  return on ?? group.scope;
}

/**
 * Maps an error from a socket option call (setsockopt) to a dsock error whose message names
 * the call, e.g. `joinGroup 239.1.2.3 on 127.0.0.1 failed: ...`.
 */
export function optionError(what: string, error: unknown, endpoint: Endpoint): SocketError {
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const options = { endpoint, cause: error };
  switch (code) {
    case 'EADDRNOTAVAIL':
      return new AddressNotAvailableError(
        `${what} failed: the address is not available (not the address of a local ` +
          'interface, or not a group this socket joined there)',
        options,
      );
    case 'ENODEV':
      return new AddressNotAvailableError(
        `${what} failed: no local interface has that address`,
        options,
      );
    case 'EADDRINUSE':
      return new AddressInUseError(`${what} failed: already done on this socket`, options);
    case 'EACCES':
    case 'EPERM':
      return new PermissionDeniedError(`${what} failed: permission denied`, options);
    default: {
      const detail = error instanceof Error ? error.message : String(error);
      return new SocketError(`${what} failed: ${detail}`, code || 'ERR_SOCKET', options);
    }
  }
}
