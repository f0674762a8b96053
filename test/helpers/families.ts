import type { TestContext } from 'node:test';
import type { AddressFamily } from '../../src/index.js';
import { ipv6Available, NO_IPV6 } from './bounded.js';

/** An address family under test with its loopback address. */
export interface TestFamily {
  readonly family: AddressFamily;
  readonly loopback: string;
}

/** Each family the socket tests run over, with its loopback address. */
export const FAMILIES: readonly TestFamily[] = [
  { family: 'IPv4', loopback: '127.0.0.1' },
  { family: 'IPv6', loopback: '::1' },
];

/** Skips `t` with a printed reason, returning true, when `family` cannot be tested here. */
export async function unavailable(t: TestContext, family: AddressFamily): Promise<boolean> {
  if (family === 'IPv6' && !(await ipv6Available())) {
    t.skip(NO_IPV6);
    return true;
  }
  return false;
}
