import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

const HELP = `dsock ${version}: sockets for distributed systems

Usage: dsock COMMAND [ARGS...]

Commands:
  ips [--all]        list this machine's IP addresses

Options:
  -h, --help         show this help
  -V, --version      print the version
`;

/**
 * Runs the dsock command line with `args` (without the node and script paths) and resolves
 * with the process exit code.
 */
export function main(args: string[]): Promise<number> {
  const [first] = args;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(HELP);
    return Promise.resolve(0);
  }
  if (first === '--version' || first === '-V') {
    process.stdout.write(`${version}\n`);
    return Promise.resolve(0);
  }
  process.stderr.write(`dsock: unknown command "${first}" (see dsock --help)\n`);
  return Promise.resolve(2);
}
