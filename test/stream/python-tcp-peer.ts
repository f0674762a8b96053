import { afterEach } from 'node:test';
import { StreamServer, type ListenOptions, type StreamSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { closeAll, python, type LineChild } from '../helpers/child.js';

/** The Python TCP peers of a test file (test/interop/tcp_peer.py), and the sockets they meet. */
export interface PythonTcpPeers {
  /**
   * A server on loopback, the Python peer started in `mode` with `args` (after its host and
   * port), and the end the server accepted from it.
   */
  accept(
    mode: string,
    args: (string | number)[],
    options?: ListenOptions,
  ): Promise<{ socket: StreamSocket; peer: LineChild }>;
  /** The Python peer started with `args`, closed after the test. */
  start(args: (string | number)[]): LineChild;
  /** `socket`, closed after the test. */
  track(socket: StreamSocket): StreamSocket;
}

/**
 * Python peers for the tests of one file: everything they start (servers, sockets, Python
 * processes) is closed after each test. Call it at the top level of the file.
 */
export function pythonTcpPeers(): PythonTcpPeers {
  const servers: StreamServer[] = [];
  const sockets: StreamSocket[] = [];
  const children: LineChild[] = [];
  afterEach(async () => {
    await closeAll(children.splice(0));
    await Promise.all(sockets.splice(0).map((socket) => socket.close()));
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });
  const start = (args: (string | number)[]): LineChild => {
    const child = python('tcp_peer.py', args);
    children.push(child);
    return child;
  };
  return {
    async accept(mode, args, options = {}) {
      const server = await within(StreamServer.listen('127.0.0.1:0', options), 5000, 'listen');
      servers.push(server);
      const peer = start([mode, '127.0.0.1', server.localEndpoint.port, ...args]);
      const socket = await within(server.accept(), 10_000, `accept of ${mode}; ${peer.stderr}`);
      sockets.push(socket);
      return { socket, peer };
    },
    start,
    track(socket) {
      sockets.push(socket);
      return socket;
    },
  };
}

/** Spends `ms` of processor time, as an application busy with what it read or sends. */
export function work(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}
