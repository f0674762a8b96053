/**
 * Framed small messages: 100-byte messages, each behind a 4-byte big-endian length prefix,
 * from a sender thread to a receiver thread over one loopback TCP connection per contender.
 * The receiver takes every message apart; the rate is counted from the sender's first write of
 * a block to the last message of the block received. The contenders' code is in framed/peers.ts.
 */
import { contenderMissing } from '../lib/contender-modules.js';
import { workerPeer } from '../lib/peer.js';
import type { Metrics, Mode, Scenario } from '../lib/scenario.js';
import { PREFIX_SIZE } from './framed/peers.js';
import { framedMetrics, framedRound, type FramedParams as Params } from './framed/round.js';

const PEERS = new URL('./framed/peers.js', import.meta.url).href;

/** Why zeromq.js cannot run here (the package is not installed), or undefined. */
function zeromqMissing(): string | undefined {
  return contenderMissing('zeromq');
}

export const framed: Scenario<Params> = {
  id: 'framed',
  title: 'Framed 100-byte messages over TCP',
  params: (mode: Mode) => ({
    messageSize: 100,
    block: 250_000,
    blocks: mode === 'quick' ? 1 : 4,
    warmup: 50_000,
  }),
  describe: (p) =>
    `${(p.block * p.blocks).toLocaleString('en-US')} messages of ${p.messageSize} bytes per ` +
    `contender and round, each behind a ${PREFIX_SIZE}-byte big-endian length, over one ` +
    'loopback connection, each contender with its own default socket options (node:net ' +
    "with Nagle's algorithm on, dsock's MessageStream and ZeroMQ with it off), in blocks of " +
    `${p.block.toLocaleString('en-US')} taken in turns after an untimed block of ` +
    `${p.warmup.toLocaleString('en-US')}; every message is taken apart at the receiver, and ` +
    'the rate runs from the first write of a block to the last message received',
  roles: ['receiver', 'sender'],
  metrics: [
    {
      key: 'rate',
      label: 'messages/s',
      unit: 'M/s',
      better: 'higher',
      ratio: true,
      target: 3.5,
      targetFor: ['dsock'],
      digits: 2,
    },
    {
      // The same figure, held against zeromq.js: the second target for dsock.
      key: 'rateVsZeromq',
      label: 'messages/s, against zeromq',
      unit: 'M/s',
      better: 'higher',
      ratio: true,
      against: 'zeromq',
      target: 10,
      targetFor: ['dsock'],
      digits: 2,
    },
    {
      key: 'sendCpu',
      label: 'sender CPU per message',
      unit: 'ns',
      better: 'lower',
      ratio: true,
      digits: 0,
    },
    {
      key: 'recvCpu',
      label: 'receiver CPU per message',
      unit: 'ns',
      better: 'lower',
      ratio: true,
      digits: 0,
    },
  ],
  contenders: [
    {
      id: 'node:net',
      label: 'raw node:net, one write per message',
      peers: {
        receiver: workerPeer(PEERS, 'rawReceiver'),
        sender: workerPeer(PEERS, 'rawWriteSender'),
      },
      note:
        'sender: per message `Buffer.allocUnsafe(104)`, `writeUInt32BE`, copy, `socket.write(frame)`, ' +
        "awaiting 'drain' when it returns false; at the end of a block `setNoDelay(true)` then " +
        "`(false)`, so that the last frame does not wait for a delayed ACK (Nagle's algorithm " +
        "is on, node:net's default); receiver: on('data') joins a partial frame " +
        'with the chunk (`Buffer.concat`) and cuts frames with `readUInt32BE` and `subarray`',
    },
    {
      id: 'node:net-packed',
      label: 'raw node:net, frames packed into 64 KiB writes',
      peers: {
        receiver: workerPeer(PEERS, 'rawReceiver'),
        sender: workerPeer(PEERS, 'rawPackedSender'),
      },
      note:
        'sender: frames written with `writeUInt32BE` and copy into a 64 KiB buffer, ' +
        "`socket.write(buffer)` when full, awaiting 'drain' when it returns false (batching " +
        'by hand), the block ending as for `node:net`; receiver: as `node:net`',
    },
    {
      id: 'dsock',
      label: 'dsock MessageStream',
      peers: {
        receiver: workerPeer(PEERS, 'dsockReceiver'),
        sender: workerPeer(PEERS, 'dsockSender'),
      },
      note:
        'sender: `MessageStream.connect`, then per message `stream.write(message)`, ' +
        '`await stream.drain()` only when it returns false, `await stream.flush()` at the end ' +
        'of a block; receiver: `new MessageStream(await server.accept())`, ' +
        '`for await (const message of stream)`',
    },
    {
      id: 'zeromq',
      label: 'zeromq.js PUSH/PULL',
      unavailable: zeromqMissing,
      peers: {
        receiver: workerPeer(PEERS, 'zmqReceiver'),
        sender: workerPeer(PEERS, 'zmqSender'),
      },
      note:
        'sender: `Push`, per message `await push.send(message)`; receiver: `Pull`, `for await ' +
        '(const [message] of pull)`. ZeroMQ frames with its own prefix (1 byte for a short ' +
        'message) and does its socket work on its own I/O thread, whose CPU time the ' +
        'per-message CPU figures leave out',
    },
  ],
  async round(order, p, context) {
    const totals = await framedRound('framed', order, p, context);
    const metrics: Record<string, Metrics> = {};
    for (const [id, t] of totals) {
      const figures = framedMetrics(t);
      metrics[id] = { ...figures, rateVsZeromq: figures.rate };
    }
    return metrics;
  },
};
