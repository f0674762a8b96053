import { networkInterfaces } from 'node:os';
import type { AddressFamily } from './endpoint.js';

/** One address of one local network interface. */
export interface LocalAddress {
  /** The address literal, e.g. `192.168.1.20` or `fe80::1`. */
  address: string;
  family: AddressFamily;
  /** The interface's name, e.g. `eth0` or `lo`. */
  interfaceName: string;
  /** True for loopback addresses, which are reachable from this machine only. */
  internal: boolean;
  /** The network in CIDR notation, e.g. `192.168.1.20/24`. */
  cidr: string | null;
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

/**
 * The addresses of this machine's network interfaces, IPv4 by default: the addresses other
 * peers can use to reach a socket bound to the any-address.
 */
export function localAddresses(options: LocalAddressesOptions = {}): LocalAddress[] {
  const family = options.family ?? 'IPv4';
  const result: LocalAddress[] = [];
  for (const [interfaceName, infos] of Object.entries(networkInterfaces())) {
    for (const info of infos ?? []) {
      if (family !== 'any' && info.family !== family) continue;
      if (options.internal !== undefined && info.internal !== options.internal) continue;
      const entry: LocalAddress = {
        address: info.address,
        family: info.family,
        interfaceName,
        internal: info.internal,
        cidr: info.cidr,
      };
      if (info.family === 'IPv6') entry.scopeId = info.scopeid;
      result.push(entry);
    }
  }
  return result;
}
