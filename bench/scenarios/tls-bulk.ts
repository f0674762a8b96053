/**
 * TLS bulk transfer: bytes from a sender thread to a receiver thread over one loopback TLS
 * connection per contender (the same certificate, node:tls's default protocol and cipher on
 * both), written in 64 KiB chunks and sent in blocks taken in turns; the receiver consumes
 * every chunk, and its throughput is counted from the first byte of a block to the last.
 */
import { once } from 'node:events';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { StreamServer, StreamSocket } from '../../src/index.js';
import { listeningPort } from '../lib/listening-port.js';
import { workerPeer } from '../lib/peer.js';
import type { PeerContext } from '../lib/peer-protocol.js';
import type { Metrics, Mode, Scenario } from '../lib/scenario.js';
import { benchCertificate, type TlsServerParams } from '../lib/tls-certificate.js';
import { BlockCounter, receiveBlocks, sendBlocks, transferRound } from '../lib/transfer.js';

interface Params {
  /** Bytes per block, and blocks per contender and round. */
  block: number;
  blocks: number;
  chunkSize: number;
}

interface SenderParams {
  port: number;
  chunkSize: number;
  /** The server's certificate, trusted as the CA. */
  ca: string;
}

const HOST = '127.0.0.1';
const MiB = 1024 * 1024;

export const tlsBulk: Scenario<Params> = {
  id: 'tls-bulk',
  title: 'TLS bulk transfer, one way',
  params: (mode: Mode) => ({
    block: 32 * MiB,
    blocks: mode === 'quick' ? 4 : 16,
    chunkSize: 64 * 1024,
  }),
  describe: (p) =>
    `${(p.block * p.blocks) / MiB} MiB per contender and round over one loopback TLS ` +
    'connection (a self-signed RSA 2048 certificate made at startup, the same for every ' +
    "contender, trusted by the client as its CA; node:tls's default protocol and cipher: " +
    `TLS 1.3, AES-256-GCM), written in ${p.chunkSize / 1024} KiB chunks, in blocks of ` +
    `${p.block / MiB} MiB taken in turns; throughput counted at the receiver from the first ` +
    'byte of a block to the last',
  roles: ['receiver', 'sender'],
  metrics: [
    {
      key: 'throughput',
      label: 'throughput',
      unit: 'MiB/s',
      better: 'higher',
      ratio: true,
      digits: 0,
    },
    {
      key: 'sendCpu',
      label: 'sender CPU per MiB',
      unit: 'µs',
      better: 'lower',
      ratio: true,
      digits: 0,
    },
    {
      key: 'recvCpu',
      label: 'receiver CPU per MiB',
      unit: 'µs',
      better: 'lower',
      ratio: true,
      digits: 0,
    },
  ],
  contenders: [
    {
      id: 'node:tls',
      label: 'raw node:tls',
      peers: {
        receiver: workerPeer(import.meta.url, 'rawReceiver'),
        sender: workerPeer(import.meta.url, 'rawSender'),
      },
      note:
        "`tls.createServer({ cert, key })`, `tls.connect({ host, port, ca })`; write(chunk), awaiting 'drain' when it " +
        "returns false; on('data') counting",
    },
    {
      id: 'dsock',
      label: 'dsock StreamSocket over TLS, for await',
      peers: {
        receiver: workerPeer(import.meta.url, 'dsockIterateReceiver'),
        sender: workerPeer(import.meta.url, 'dsockSender'),
      },
      note:
        '`StreamServer.listen(ep, { tls: { cert, key } })`, `StreamSocket.connect(ep, { tls: { ca } })`; ' +
        '`await sendAll(chunk)`; the receiver iterates: `for await (const chunk of socket)`',
    },
    {
      id: 'dsock-recv',
      label: 'dsock StreamSocket over TLS, recv loop',
      peers: {
        receiver: workerPeer(import.meta.url, 'dsockRecvReceiver'),
        sender: workerPeer(import.meta.url, 'dsockSender'),
      },
      note: 'as `dsock`, but the receiver loops on `await recv(65536)` until end of stream',
    },
  ],
  async round(order, p, context) {
    const { cert, key } = await benchCertificate();
    const totals = await transferRound(
      order,
      {
        block: p.block,
        blocks: p.blocks,
        receiverParams: { cert, key } satisfies TlsServerParams,
        senderParams: (port) => ({ port, chunkSize: p.chunkSize, ca: cert }) satisfies SenderParams,
      },
      context,
    );
    const metrics: Record<string, Metrics> = {};
    for (const [id, t] of totals) {
      if (t.received !== t.sent) throw new Error(`${id} received ${t.received} of ${t.sent} bytes`);
      const mebibytes = t.received / MiB;
      metrics[id] = {
        throughput: mebibytes / t.receiveSeconds,
        sendCpu: (t.senderCpuMs * 1000) / mebibytes,
        recvCpu: (t.receiverCpuMs * 1000) / mebibytes,
      };
    }
    return metrics;
  },
};

export async function rawReceiver(context: PeerContext<TlsServerParams>): Promise<void> {
  const { cert, key } = context.params;
  const server = createServer({ cert, key });
  server.listen(0, HOST);
  await once(server, 'listening');
  const counter = new BlockCounter();
  let connection: TLSSocket | undefined;
  server.once('secureConnection', (socket: TLSSocket) => {
    connection = socket;
    server.close();
    socket.on('data', (chunk: Buffer) => counter.add(chunk.length));
    socket.on('error', () => socket.destroy());
  });
  await receiveBlocks(context, listeningPort(server), counter);
  server.close();
  connection?.destroy();
}

async function dsockReceive(
  context: PeerContext<TlsServerParams>,
  consume: (socket: StreamSocket, counter: BlockCounter) => Promise<void>,
): Promise<void> {
  const { cert, key } = context.params;
  const server = await StreamServer.listen(`${HOST}:0`, { tls: { cert, key } });
  const counter = new BlockCounter();
  let connection: StreamSocket | undefined;
  const receiving = (async () => {
    connection = await server.accept();
    await server.close();
    await consume(connection, counter);
  })();
  await receiveBlocks(context, server.localEndpoint.port, counter);
  await server.close();
  await connection?.close();
  await receiving.catch(() => undefined);
}

export function dsockIterateReceiver(context: PeerContext<TlsServerParams>): Promise<void> {
  return dsockReceive(context, async (socket, counter) => {
    for await (const chunk of socket) counter.add(chunk.length);
  });
}

export function dsockRecvReceiver(context: PeerContext<TlsServerParams>): Promise<void> {
  return dsockReceive(context, async (socket, counter) => {
    for (;;) {
      const chunk = await socket.recv(65536);
      if (chunk.length === 0) return;
      counter.add(chunk.length);
    }
  });
}

export async function rawSender(context: PeerContext<SenderParams>): Promise<void> {
  const { port, chunkSize, ca } = context.params;
  const socket = connect({ host: HOST, port, ca });
  await once(socket, 'secureConnect');
  const chunk = Buffer.alloc(chunkSize, 0x61);
  await sendBlocks(context, async (total) => {
    for (let sent = 0; sent < total;) {
      const length = Math.min(chunkSize, total - sent);
      sent += length;
      if (!socket.write(length === chunkSize ? chunk : chunk.subarray(0, length))) {
        await once(socket, 'drain');
      }
    }
  });
  socket.destroy();
}

export async function dsockSender(context: PeerContext<SenderParams>): Promise<void> {
  const { port, chunkSize, ca } = context.params;
  const socket = await StreamSocket.connect({ host: HOST, port }, { tls: { ca } });
  const chunk = Buffer.alloc(chunkSize, 0x61);
  try {
    await sendBlocks(context, async (total) => {
      for (let sent = 0; sent < total;) {
        const length = Math.min(chunkSize, total - sent);
        sent += length;
        await socket.sendAll(length === chunkSize ? chunk : chunk.subarray(0, length));
      }
    });
  } finally {
    await socket.close();
  }
}
