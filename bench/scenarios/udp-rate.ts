/**
 * Datagram rate: 64-byte datagrams from a sender thread to a receiver thread over loopback UDP,
 * at most `window` sends outstanding at a time (both contenders alike), to a receiver with a
 * 4 MiB SO_RCVBUF. The receiver counts each block until all of it has arrived, or until nothing
 * more arrives after the sender is done; its rate is counted from its first datagram of a block
 * to its last.
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { DatagramSocket, SocketClosedError } from '../../src/index.js';
import { workerPeer } from '../lib/peer.js';
import type { PeerContext } from '../lib/peer-protocol.js';
import type { Metrics, Mode, Scenario } from '../lib/scenario.js';
import { BlockCounter, receiveBlocks, sendBlocks, transferRound } from '../lib/transfer.js';

interface Params {
  /** Datagrams per block, and blocks per contender and round. */
  block: number;
  blocks: number;
  size: number;
  window: number;
  recvBufferSize: number;
}

interface ReceiverParams {
  recvBufferSize: number;
}

interface SenderParams {
  port: number;
  size: number;
  window: number;
}

const HOST = '127.0.0.1';

export const udpRate: Scenario<Params> = {
  id: 'udp-rate',
  title: '64-byte UDP datagram rate, one way',
  params: (mode: Mode) => ({
    block: mode === 'quick' ? 50_000 : 100_000,
    blocks: mode === 'quick' ? 6 : 20,
    size: 64,
    window: 64,
    recvBufferSize: 4 * 1024 * 1024,
  }),
  describe: (p) =>
    `${(p.block * p.blocks).toLocaleString('en-US')} datagrams of ${p.size} bytes per ` +
    `contender and round, in blocks of ${p.block.toLocaleString('en-US')} taken in turns; at ` +
    `most ${p.window} sends outstanding, receiver SO_RCVBUF ` +
    `${p.recvBufferSize / 1024 / 1024} MiB; rate counted at the receiver from the first ` +
    'datagram of a block to the last',
  roles: ['receiver', 'sender'],
  metrics: [
    {
      key: 'rate',
      label: 'received/s',
      unit: 'datagrams/s',
      better: 'higher',
      ratio: true,
      target: 0.9,
      digits: 0,
    },
    {
      key: 'loss',
      label: 'loss',
      unit: '%',
      better: 'lower',
      ratio: false,
      headline: true,
      digits: 2,
    },
    {
      key: 'queueDropped',
      label: 'dropped by receive queue',
      unit: 'datagrams',
      better: 'lower',
      ratio: false,
      digits: 0,
    },
    {
      key: 'sendRate',
      label: 'sent/s',
      unit: 'datagrams/s',
      better: 'higher',
      ratio: true,
      digits: 0,
    },
    {
      key: 'sendCpu',
      label: 'sender CPU per datagram',
      unit: 'µs',
      better: 'lower',
      ratio: true,
      digits: 2,
    },
    {
      key: 'recvCpu',
      label: 'receiver CPU per datagram',
      unit: 'µs',
      better: 'lower',
      ratio: true,
      digits: 2,
    },
  ],
  contenders: [
    {
      id: 'node:dgram',
      label: 'raw node:dgram',
      peers: {
        receiver: workerPeer(import.meta.url, 'rawReceiver'),
        sender: workerPeer(import.meta.url, 'rawSender'),
      },
      note: "send(buf, port, host, callback) with a callback pump; on('message') counting",
    },
    {
      id: 'dsock',
      label: 'dsock DatagramSocket',
      peers: {
        receiver: workerPeer(import.meta.url, 'dsockReceiver'),
        sender: workerPeer(import.meta.url, 'dsockSender'),
      },
      note: '`window` async loops of `await sendTo(buf, endpoint)`; a loop of `await recvFrom()`',
    },
  ],
  async round(order, p, context) {
    const totals = await transferRound(
      order,
      {
        block: p.block,
        blocks: p.blocks,
        receiverParams: { recvBufferSize: p.recvBufferSize } satisfies ReceiverParams,
        senderParams: (port) => ({ port, size: p.size, window: p.window }) satisfies SenderParams,
      },
      context,
    );
    const metrics: Record<string, Metrics> = {};
    for (const [id, t] of totals) {
      metrics[id] = {
        rate: t.received / t.receiveSeconds,
        loss: ((t.sent - t.received) / t.sent) * 100,
        queueDropped: t.extra.queueDropped ?? 0,
        sendRate: t.sent / t.sendSeconds,
        sendCpu: (t.senderCpuMs * 1000) / t.sent,
        recvCpu: (t.receiverCpuMs * 1000) / t.received,
      };
    }
    return metrics;
  },
};

export async function rawReceiver(context: PeerContext<ReceiverParams>): Promise<void> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: context.params.recvBufferSize });
  socket.bind(0, HOST);
  await once(socket, 'listening');
  const counter = new BlockCounter();
  socket.on('message', () => counter.add(1));
  await receiveBlocks(context, socket.address().port, counter);
  socket.close();
}

export async function dsockReceiver(context: PeerContext<ReceiverParams>): Promise<void> {
  const { recvBufferSize } = context.params;
  const socket = await DatagramSocket.bind(`${HOST}:0`, { recvBufferSize });
  const counter = new BlockCounter();
  const receiving = (async () => {
    try {
      for (;;) {
        await socket.recvFrom();
        counter.add(1);
      }
    } catch (error) {
      if (!(error instanceof SocketClosedError)) throw error;
    }
  })();
  await receiveBlocks(context, socket.localEndpoint.port, counter, () => ({
    queueDropped: socket.stats.datagramsDropped,
  }));
  await socket.close();
  await receiving;
}

export async function rawSender(context: PeerContext<SenderParams>): Promise<void> {
  const { port, size, window } = context.params;
  const socket = createSocket('udp4');
  socket.bind(0, HOST);
  await once(socket, 'listening');
  const payload = Buffer.alloc(size, 0x61);
  await sendBlocks(
    context,
    (count) =>
      new Promise<void>((resolve, reject) => {
        let started = 0;
        let finished = 0;
        const onSent = (error: Error | null): void => {
          if (error) return reject(error);
          finished++;
          if (started < count) {
            started++;
            socket.send(payload, port, HOST, onSent);
          } else if (finished === count) {
            resolve();
          }
        };
        while (started < Math.min(window, count)) {
          started++;
          socket.send(payload, port, HOST, onSent);
        }
      }),
  );
  socket.close();
}

export async function dsockSender(context: PeerContext<SenderParams>): Promise<void> {
  const { port, size, window } = context.params;
  const socket = await DatagramSocket.bind(`${HOST}:0`);
  const payload = Buffer.alloc(size, 0x61);
  const to = { host: HOST, port };
  await sendBlocks(context, async (count) => {
    let started = 0;
    const lane = async (): Promise<void> => {
      while (started < count) {
        started++;
        await socket.sendTo(payload, to);
      }
    };
    await Promise.all(Array.from({ length: Math.min(window, count) }, lane));
  });
  await socket.close();
}
