import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** A datagram path the CLI's children are run on, and the environment that selects it. */
export interface DatagramPath {
  name: string;
  env: Record<string, string>;
}

/**
 * Both datagram paths where the native addon is built (the TypeScript one alone otherwise), so
 * that what crosses the lab is proven on each, as the datagram tests are.
 */
export function datagramPaths(): DatagramPath[] {
  const paths: DatagramPath[] = [{ name: 'node:dgram', env: { DSOCK_NATIVE: '0' } }];
  if (existsSync(join('build', 'Release', 'dsock_native.node'))) {
    paths.unshift({ name: 'native', env: { DSOCK_NATIVE: '1' } });
  }
  return paths;
}
