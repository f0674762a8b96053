import { afterEach } from 'node:test';
import { within } from '../helpers/bounded.js';
import { DatagramSocket } from '../../src/index.js';
import type { DatagramSocketOptions, EndpointLike, ReceivedDatagram } from '../../src/index.js';

export { FAMILIES, unavailable } from '../helpers/families.js';

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
