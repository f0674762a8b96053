import { localAddresses } from '../../endpoint/interfaces.js';
import type { Command } from '../command.js';
import { parseCommandLine, noArgumentsAfter } from '../args.js';

export const ipsCommand: Command = {
  words: ['ips'],
  summary: "list this machine's IP addresses",
  help: `Usage: dsock ips [--all]

Prints this machine's IPv4 addresses, one a line: the addresses other peers can use to reach
a socket bound to the any-address.

Options:
  --all    also list IPv6 addresses
`,
  run(args) {
    const { values, positionals } = parseCommandLine(args, { all: { type: 'boolean' } });
    noArgumentsAfter(positionals, 0);
    const addresses = localAddresses({ family: 'IPv4' });
    if (values.all === true) addresses.push(...localAddresses({ family: 'IPv6' }));
    for (const { address } of addresses) process.stdout.write(`${address}\n`);
    return Promise.resolve(0);
  },
};
