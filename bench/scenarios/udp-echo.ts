/** 64-byte UDP echo round trips: raw node:dgram against dsock DatagramSocket on both ends. */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { once } from 'node:events';
import { DatagramSocket } from '../../src/index.js';
import { bunContender } from '../lib/bun-contender.js';
import {
  checkDatagramPath,
  dsockDatagramLabel,
  TYPESCRIPT_PATH_ENV,
  TYPESCRIPT_PATH_LABEL,
} from '../lib/dsock-backend.js';
import { echoScenario } from '../lib/echo-scenario.js';
import { echoSide, pingSide, type PingParams, type RoundTrips } from '../lib/latency.js';
import { workerPeer } from '../lib/peer.js';
import { nativeContender, pythonContender } from '../lib/process-contenders.js';
import type { PeerContext } from '../lib/peer-protocol.js';

const HOST = '127.0.0.1';

export const udpEcho = echoScenario('udp-echo', '64-byte UDP echo round trip', 'UDP', [
  {
    id: 'node:dgram',
    label: 'raw node:dgram',
    peers: {
      server: workerPeer(import.meta.url, 'rawServer'),
      client: workerPeer(import.meta.url, 'rawClient'),
    },
    note: "server: on('message') send(msg, port, address); client: send, then on('message')",
  },
  {
    id: 'dsock',
    get label(): string {
      return dsockDatagramLabel();
    },
    peers: {
      server: workerPeer(import.meta.url, 'dsockServer'),
      client: workerPeer(import.meta.url, 'dsockClient'),
    },
    note: 'server: `for await (d of socket) await sendTo(d.data, d.sender)`; client: `await sendTo(msg, server); await recvFrom()`',
  },
  {
    id: 'dsock-ts',
    label: TYPESCRIPT_PATH_LABEL,
    peers: {
      server: workerPeer(import.meta.url, 'dsockServer', TYPESCRIPT_PATH_ENV),
      client: workerPeer(import.meta.url, 'dsockClient', TYPESCRIPT_PATH_ENV),
    },
    note: 'the same code as `dsock`, in workers with DSOCK_NATIVE=0: node:dgram underneath',
  },
  pythonContender('echo.py', {
    args: ['udp'],
    roles: ['server', 'client'],
    note:
      'server: `data, sender = sock.recvfrom(65536); sock.sendto(data, sender)`; client: ' +
      '`sock.sendto(msg, server)`, then `sock.recvfrom_into(buffer)`; blocking sockets, one ' +
      'process per end',
  }),
  nativeContender('echo', 'blocking sendto/recvfrom', {
    args: ['udp'],
    roles: ['server', 'client'],
    note:
      'server: blocking `recvfrom(fd, buf, 65536)`, then `sendto` the sender; client: ' +
      '`sendto`, then blocking `recvfrom`; one process per end',
  }),
  bunContender({
    module: 'echo',
    peers: { server: 'udpServer', client: 'udpClient' },
    api: 'Bun.udpSocket',
    note:
      'server: the `data` handler calls `socket.send(data, port, address)`; client: ' +
      '`socket.send(msg, port, host)`, the next one sent from the `data` handler of the ' +
      'reply; one process per end',
  }),
]);

export async function rawServer(context: PeerContext<unknown>): Promise<void> {
  const socket = createSocket('udp4');
  socket.on('message', (data: Buffer, from: RemoteInfo) => {
    socket.send(data, from.port, from.address);
  });
  socket.bind(0, HOST);
  await once(socket, 'listening');
  await echoSide(context, socket.address().port, () => void socket.close());
}

export async function dsockServer(context: PeerContext<unknown>): Promise<void> {
  const socket = await DatagramSocket.bind(`${HOST}:0`);
  checkDatagramPath(socket);
  const serving = (async () => {
    for await (const datagram of socket) await socket.sendTo(datagram.data, datagram.sender);
  })();
  await echoSide(context, socket.localEndpoint.port, async () => {
    await socket.close();
    await serving;
  });
}

export async function rawClient(context: PeerContext<PingParams>): Promise<void> {
  const { port, size } = context.params;
  const socket = createSocket('udp4');
  socket.bind(0, HOST);
  await once(socket, 'listening');
  const payload = Buffer.alloc(size, 0x61);
  // The round trips of the current block, driven from the 'message' handler as raw code would be.
  let block:
    { trips: RoundTrips; left: number; done: () => void; fail: (error: Error) => void } | undefined;
  let start = 0n;
  const ping = (): void => {
    start = process.hrtime.bigint();
    socket.send(payload, port, HOST);
  };
  socket.on('error', (error) => block?.fail(error));
  socket.on('message', () => {
    if (block === undefined) return;
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
  socket.close();
}

export async function dsockClient(context: PeerContext<PingParams>): Promise<void> {
  const { port, size } = context.params;
  const socket = await DatagramSocket.bind(`${HOST}:0`);
  checkDatagramPath(socket);
  const server = { host: HOST, port };
  const payload = Buffer.alloc(size, 0x61);
  try {
    await pingSide(context, async (trips, count) => {
      for (let i = 0; i < count; i++) {
        const start = process.hrtime.bigint();
        await socket.sendTo(payload, server);
        await socket.recvFrom();
        trips.record(process.hrtime.bigint() - start);
      }
    });
  } finally {
    await socket.close();
  }
}
