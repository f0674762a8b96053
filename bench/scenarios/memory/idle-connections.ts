/**
 * A child process holding one end of many idle TCP connections, for the idle-memory scenario:
 * the server end (accepting) or the client end (connecting), with dsock or raw node:net. Each
 * end waits for data on every connection as a serving loop would, and none ever comes. It
 * reports its memory settled before the first connection and after the last.
 *
 * Run by the scenario as `node --expose-gc idle-connections.js '<params as JSON>'`.
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { StreamServer, StreamSocket } from '../../../src/index.js';
import { childContext } from '../../lib/child-process.js';
import { listeningPort } from '../../lib/listening-port.js';
import { settledMemory, type MemoryFigures } from '../../lib/memory.js';
import { STOP, type PeerMessage } from '../../lib/peer-protocol.js';

/** What the scenario hands to each child. */
export interface IdleParams {
  role: 'server' | 'client';
  api: 'dsock' | 'raw';
  /**
   * How every dsock connection is served: a loop waiting in `await recv()`, a handler given to
   * `forEachChunk`, or nothing (the connection is only kept).
   */
  serving: 'recv' | 'each' | 'none';
  count: number;
  /** Connects in flight at a time (client). */
  concurrency: number;
  /** The server's port (client). */
  port?: number;
}

/** The child's report once its end of every connection is open. */
export interface IdleReport extends PeerMessage {
  type: 'measured';
  before: MemoryFigures;
  after: MemoryFigures;
  /** Connections the server closed on arrival (a full accept queue); must be 0. */
  dropped: number;
  /** Bytes that arrived on the idle connections; must be 0. */
  received: number;
}

const HOST = '127.0.0.1';
const context = childContext<IdleParams>('idle-connections');
const { role, api, serving, count, concurrency } = context.params;
let bytesReceived = 0;

/** The serving loop of one dsock connection: a pending recv, as a handler would have. */
async function serveDsock(socket: StreamSocket): Promise<void> {
  try {
    for (;;) {
      const chunk = await socket.recv(65536);
      if (chunk.length === 0) return;
      bytesReceived += chunk.length;
    }
  } catch {
    // Closed or reset: the connection is over.
  }
}

/** The same served by a handler for each chunk, as a 'data' listener would be. */
function serveEach(socket: StreamSocket): void {
  socket
    .forEachChunk((chunk) => {
      bytesReceived += chunk.length;
    })
    .catch(connectionOver);
}

/** Closed or reset: the connection is over (one function for all of them, as the loop's catch). */
function connectionOver(): void {
  // Nothing to do: the connection is dropped.
}

/** Serves `socket` as the contender says. */
function serveDsockConnection(socket: StreamSocket): void {
  if (serving === 'recv') void serveDsock(socket);
  else if (serving === 'each') serveEach(socket);
}

/** The raw equivalent: listeners for data and errors, as a handler would add. */
function serveRaw(socket: Socket): void {
  socket.on('data', (chunk: Buffer) => {
    bytesReceived += chunk.length;
  });
  socket.on('error', () => socket.destroy());
}

/** Runs `open` for indexes 0..count-1, `concurrency` at a time. */
async function openAll(open: () => Promise<void>): Promise<void> {
  let started = 0;
  const lane = async (): Promise<void> => {
    while (started < count) {
      started++;
      await open();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

async function dsockServer(): Promise<IdleReport> {
  // Every connection is kept open, so the server's default connection limit must not apply.
  const server = await StreamServer.listen(`${HOST}:0`, { maxConnections: count });
  const before = await settledMemory();
  context.post({ type: 'ready', port: server.localEndpoint.port });
  const connections: StreamSocket[] = [];
  while (connections.length < count) {
    const socket = await server.accept();
    connections.push(socket);
    serveDsockConnection(socket);
  }
  const after = await settledMemory();
  return { type: 'measured', before, after, dropped: server.droppedConnections, received: 0 };
}

async function rawServer(): Promise<IdleReport> {
  const connections: Socket[] = [];
  let allAccepted: () => void = () => undefined;
  const accepted = new Promise<void>((resolve) => (allAccepted = resolve));
  const server = createServer((socket) => {
    connections.push(socket);
    serveRaw(socket);
    if (connections.length === count) allAccepted();
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  const before = await settledMemory();
  context.post({ type: 'ready', port: listeningPort(server) });
  await accepted;
  const after = await settledMemory();
  return { type: 'measured', before, after, dropped: 0, received: 0 };
}

async function dsockClient(port: number): Promise<IdleReport> {
  const before = await settledMemory();
  const connections: StreamSocket[] = [];
  await openAll(async () => {
    const socket = await StreamSocket.connect({ host: HOST, port });
    connections.push(socket);
    serveDsockConnection(socket);
  });
  const after = await settledMemory();
  return { type: 'measured', before, after, dropped: 0, received: 0 };
}

async function rawClient(port: number): Promise<IdleReport> {
  const before = await settledMemory();
  const connections: Socket[] = [];
  await openAll(async () => {
    const socket = connect(port, HOST);
    await once(socket, 'connect');
    connections.push(socket);
    serveRaw(socket);
  });
  const after = await settledMemory();
  return { type: 'measured', before, after, dropped: 0, received: 0 };
}

async function main(): Promise<void> {
  let report: IdleReport;
  if (role === 'server') report = api === 'dsock' ? await dsockServer() : await rawServer();
  else {
    const port = context.params.port;
    if (port === undefined) throw new Error('the client needs the server port');
    report = api === 'dsock' ? await dsockClient(port) : await rawClient(port);
  }
  context.post({ ...report, received: bytesReceived });
  await context.next(STOP);
}

await main();
// Every connection is dropped with the process: closing 10,000 sockets one by one would only
// make the trial slower.
process.exit(0);
