/**
 * The echo scenarios' Bun peers (run by peer-host.ts under Bun): Bun's own UDP and TCP APIs,
 * callback-driven as Bun's users write them, speaking the protocol of lib/latency.ts.
 *
 * UDP: the server's `data` handler sends each datagram back with `socket.send(data, port,
 * address)`; the client sends, and its `data` handler times the reply and sends the next.
 * TCP: `Bun.listen` with a `data` handler that writes each chunk back; the client, with
 * `setNoDelay(true)`, writes the message and counts reply bytes in its `data` handler.
 */
import { echoSide, pingSide, type PingParams, type RoundTrips } from '../lib/latency.js';
import type { PeerContext } from '../lib/peer-protocol.js';
import { Bun, type TcpSocket } from './api.js';

const HOST = '127.0.0.1';

/** The block of round trips a client is making, driven from its `data` handler. */
interface Block {
  trips: RoundTrips;
  left: number;
  done: () => void;
  fail: (error: Error) => void;
}

export async function udpServer(context: PeerContext<unknown>): Promise<void> {
  const socket = await Bun.udpSocket({
    hostname: HOST,
    port: 0,
    binaryType: 'buffer',
    socket: { data: (socket, data, port, address) => void socket.send(data, port, address) },
  });
  await echoSide(context, socket.port, () => socket.close());
}

export async function udpClient(context: PeerContext<PingParams>): Promise<void> {
  const { port, size } = context.params;
  const payload = Buffer.alloc(size, 0x61);
  let block: Block | undefined;
  let start = 0n;
  const socket = await Bun.udpSocket({
    hostname: HOST,
    port: 0,
    binaryType: 'buffer',
    socket: {
      data: (socket) => {
        if (block === undefined) return;
        block.trips.record(process.hrtime.bigint() - start);
        if (--block.left > 0) {
          start = process.hrtime.bigint();
          socket.send(payload, port, HOST);
          return;
        }
        const { done } = block;
        block = undefined;
        done();
      },
      error: (_socket, error) => block?.fail(error),
    },
  });
  await pingSide(
    context,
    (trips, count) =>
      new Promise<void>((done, fail) => {
        block = { trips, left: count, done, fail };
        start = process.hrtime.bigint();
        socket.send(payload, port, HOST);
      }),
  );
  socket.close();
}

export async function tcpServer(context: PeerContext<unknown>): Promise<void> {
  const listener = Bun.listen({
    hostname: HOST,
    port: 0,
    socket: {
      // A 64-byte reply always fits the socket's buffer: write() takes all of it.
      data: (socket, data) => void socket.write(data),
      error: (socket) => socket.end(),
    },
  });
  await echoSide(context, listener.port, () => listener.stop(true));
}

export async function tcpClient(context: PeerContext<PingParams>): Promise<void> {
  const { port, size } = context.params;
  const payload = Buffer.alloc(size, 0x61);
  let block: Block | undefined;
  let start = 0n;
  let got = 0;
  const send = (socket: TcpSocket): void => {
    got = 0;
    start = process.hrtime.bigint();
    if (socket.write(payload) !== size) block?.fail(new Error('the request was not written whole'));
  };
  const socket = await Bun.connect({
    hostname: HOST,
    port,
    socket: {
      data: (socket, data) => {
        if (block === undefined) return;
        got += data.length;
        if (got < size) return;
        block.trips.record(process.hrtime.bigint() - start);
        if (--block.left > 0) return send(socket);
        const { done } = block;
        block = undefined;
        done();
      },
      close: () => block?.fail(new Error('the server closed the connection')),
      error: (_socket, error) => block?.fail(error),
    },
  });
  socket.setNoDelay(true);
  await pingSide(
    context,
    (trips, count) =>
      new Promise<void>((done, fail) => {
        block = { trips, left: count, done, fail };
        send(socket);
      }),
  );
  socket.end();
}
