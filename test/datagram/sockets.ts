import { afterEach } from 'node:test';
import type { TestContext } from 'node:test';
import { ipv6Available, NO_IPV6, within } from '../helpers/bounded.js';
import { DatagramSocket } from '../../src/index.js';
import type {
  AddressFamily,
  DatagramSocketOptions,
  EndpointLike,
  ReceivedDatagram,
} from '../../src/index.js';

/** Each family under test with its loopback address. */
export const FAMILIES: readonly { family: AddressFamily; loopback: string }[] = [
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

/**
 * Opens datagram sockets for the tests of the calling file and closes every one of them after
 * each test, whatever the test's outcome.
 */
export function socketTracker(): {
  bind(local?: EndpointLike, options?: DatagramSocketOptions): Promise<DatagramSocket>;
} {
  const open: DatagramSocket[] = [];
  afterEach(async () => {
    const sockets = open.splice(0);
    await within(Promise.all(sockets.map((s) => s.close())), 5_000, 'closing test sockets');
  });
  return {
    async bind(local, options) {
      const socket = await within(DatagramSocket.bind(local, options), 5_000, 'bind');
      open.push(socket);
      return socket;
    },
  };
}

/** Receives one datagram, failing the test after `ms` instead of hanging. */
export function recv(
  socket: DatagramSocket,
  bufsize?: number,
  ms = 5_000,
): Promise<ReceivedDatagram> {
  return within(socket.recvFrom(bufsize), ms, `a datagram on ${socket.localEndpoint.port}`);
}

/**
 * Waits until `condition()` holds, checking after each turn of the event loop; fails after
 * `ms` or a million checks, naming `label` (a function is called then, to show the state).
 */
export async function eventually(
  condition: () => boolean,
  label: string | (() => string),
  ms = 5_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (let checks = 0; checks < 1_000_000; checks++) {
    if (condition()) return;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  const what = typeof label === 'string' ? label : label();
  throw new Error(`gave up after ${ms} ms waiting for ${what}`);
}
