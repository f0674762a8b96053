import type { Server } from 'node:net';

/** The port a listening net.Server is bound to. */
export function listeningPort(server: Server): number {
  const address = server.address();
  if (address === null || typeof address !== 'object') {
    throw new Error('the server is not listening on a TCP port');
  }
  return address.port;
}
