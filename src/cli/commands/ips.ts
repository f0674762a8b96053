import { localAddresses, type LocalAddress } from '../../endpoint/interfaces.js';
import type { Command } from '../command.js';
import { parseCommandLine, noArgumentsAfter } from '../args.js';

/** Who can reach an address: the reason peers must not be given loopback or link-local ones. */
type Reach = 'peers' | 'same link' | 'this machine';

function reachOf(address: LocalAddress): Reach {
  if (address.flags.loopback) return 'this machine';
  if (address.flags.linkLocal) return 'same link';
  return 'peers';
}

const ORDER: Reach[] = ['peers', 'same link', 'this machine'];

function flagWords(address: LocalAddress): string {
  const words: string[] = [];
  if (address.flags.loopback) words.push('loopback');
  if (address.flags.linkLocal) words.push('link-local');
  if (address.flags.broadcast) words.push('broadcast');
  if (address.flags.multicast) words.push('multicast');
  return words.join(',') || '-';
}

function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}

export const ipsCommand: Command = {
  words: ['ips'],
  help: `Usage: dsock ips [--all] [--json]

Prints a table of this machine's IPv4 addresses (with --all, IPv6 too): interface, address,
prefix length, broadcast address, flags, and who can reach the address. Give peers the
addresses marked "peers"; loopback addresses reach this machine only, and link-local ones
(IPv6, written with their interface as scope, fe80::1%eth0) only hosts on the same link.

Options:
  --all     also list IPv6 addresses
  --json    print the addresses as JSON, for scripts (one array, every field)

Example:
  dsock ips
  dsock ips --all --json
`,
  run(args) {
    const { values, positionals } = parseCommandLine(args, {
      all: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    noArgumentsAfter(positionals, 0);
    const addresses = localAddresses({ family: values.all === true ? 'any' : 'IPv4' })
      .map((address) => ({ ...address, reach: reachOf(address) }))
      .sort((a, b) => ORDER.indexOf(a.reach) - ORDER.indexOf(b.reach));
    if (values.json === true) {
      process.stdout.write(`${JSON.stringify(addresses, null, 2)}\n`);
      return Promise.resolve(0);
    }
    const rows = [['INTERFACE', 'ADDRESS', 'PREFIX', 'BROADCAST', 'FLAGS', 'REACHED BY']];
    for (const address of addresses) {
      rows.push([
        address.interfaceName,
        address.scopedAddress,
        `/${address.prefixLength}`,
        address.broadcast ?? '-',
        flagWords(address),
        address.reach === 'peers' ? 'peers' : `${address.reach} only`,
      ]);
    }
    process.stdout.write(`${table(rows)}\n`);
    return Promise.resolve(0);
  },
};
