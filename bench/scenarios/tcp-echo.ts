/** 64-byte TCP echo round trips: raw node:net against dsock StreamSocket on both ends. */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { StreamServer, StreamSocket } from '../../src/index.js';
import { bunContender } from '../lib/bun-contender.js';
import { echoScenario } from '../lib/echo-scenario.js';
import { echoSide, pingSide, type PingParams, type RoundTrips } from '../lib/latency.js';
import { listeningPort } from '../lib/listening-port.js';
import { workerPeer } from '../lib/peer.js';
import { nativeContender, pythonContender } from '../lib/process-contenders.js';
import type { PeerContext } from '../lib/peer-protocol.js';

const HOST = '127.0.0.1';

export const tcpEcho = echoScenario('tcp-echo', '64-byte TCP echo round trip', 'TCP', [
  {
    id: 'node:net',
    label: 'raw node:net',
    peers: {
      server: workerPeer(import.meta.url, 'rawServer'),
      client: workerPeer(import.meta.url, 'rawClient'),
    },
    note: "server: on('data') write(chunk); client (noDelay): write, then on('data') until the reply is whole",
  },
  {
    id: 'dsock',
    label: 'dsock StreamSocket',
    peers: {
      server: workerPeer(import.meta.url, 'dsockServer'),
      client: workerPeer(import.meta.url, 'dsockClient'),
    },
    note: 'server: `for await (chunk of socket) await sendAll(chunk)`; client (noDelay): `await sendAll(msg); await recvExactly(64)`',
  },
  pythonContender('echo.py', {
    args: ['tcp'],
    roles: ['server', 'client'],
    note:
      'server: `data = conn.recv(65536); conn.sendall(data)`; client (TCP_NODELAY): ' +
      '`sock.sendall(msg)`, then `sock.recv_into(view)` until the reply is whole; blocking ' +
      'sockets, one process per end',
  }),
  nativeContender('echo', 'blocking send/recv', {
    args: ['tcp'],
    roles: ['server', 'client'],
    note:
      'server: blocking `recv(fd, buf, 65536)`, then `send` it back; client (TCP_NODELAY): ' +
      '`send`, then `recv` until the reply is whole; one process per end',
  }),
  bunContender({
    module: 'echo',
    peers: { server: 'tcpServer', client: 'tcpClient' },
    api: 'Bun.listen/Bun.connect',
    note:
      'server: `Bun.listen` whose `data` handler calls `socket.write(data)`; client ' +
      '(`setNoDelay(true)`): `socket.write(msg)`, then its `data` handler counts the reply ' +
      'until whole and writes the next; one process per end',
  }),
]);

export async function rawServer(context: PeerContext<unknown>): Promise<void> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk: Buffer) => socket.write(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, HOST);
  await once(server, 'listening');
  await echoSide(context, listeningPort(server), () => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
}

export async function dsockServer(context: PeerContext<unknown>): Promise<void> {
  const server = await StreamServer.listen(`${HOST}:0`);
  const connections = new Set<StreamSocket>();
  const serving = (async () => {
    for await (const socket of server) {
      connections.add(socket);
      void (async () => {
        try {
          for await (const chunk of socket) await socket.sendAll(chunk);
        } catch {
          // The client went away: nothing to echo to.
        } finally {
          connections.delete(socket);
          await socket.close();
        }
      })();
    }
  })();
  await echoSide(context, server.localEndpoint.port, async () => {
    await server.close();
    await Promise.all([...connections].map((socket) => socket.close()));
    await serving;
  });
}

export async function rawClient(context: PeerContext<PingParams>): Promise<void> {
  const { port, size } = context.params;
  const socket = connect(port, HOST);
  socket.setNoDelay(true);
  await once(socket, 'connect');
  const payload = Buffer.alloc(size, 0x61);
  // The round trips of the current block, driven from the 'data' handler as raw code would be.
  let block:
    { trips: RoundTrips; left: number; done: () => void; fail: (error: Error) => void } | undefined;
  let pending = 0;
  let start = 0n;
  const ping = (): void => {
    pending = size;
    start = process.hrtime.bigint();
    socket.write(payload);
  };
  socket.on('error', (error) => block?.fail(error));
  socket.on('data', (chunk: Buffer) => {
    pending -= chunk.length;
    if (pending > 0 || block === undefined) return;
    block.trips.record(process.hrtime.bigint() - start);
    if (--block.left > 0) return ping();
    const { done } = block;
    block = undefined;
    done();
  });
  await pingSide(
    context,
    (trips, count) =>
      new Promise<void>((done, fail) => {
        block = { trips, left: count, done, fail };
        ping();
      }),
  );
  socket.destroy();
}

export async function dsockClient(context: PeerContext<PingParams>): Promise<void> {
  const { port, size } = context.params;
  const socket = await StreamSocket.connect({ host: HOST, port }, { noDelay: true });
  const payload = Buffer.alloc(size, 0x61);
  try {
    await pingSide(context, async (trips, count) => {
      for (let i = 0; i < count; i++) {
        const start = process.hrtime.bigint();
        await socket.sendAll(payload);
        await socket.recvExactly(size);
        trips.record(process.hrtime.bigint() - start);
      }
    });
  } finally {
    await socket.close();
  }
}
