/**
 * Framed small messages over TLS: the framed scenario's work (100-byte messages behind a
 * 4-byte length, taken apart at the receiver) over one loopback TLS connection per contender,
 * against dsock's MessageStream over plain TCP: what TLS costs a stream of small messages. The
 * contenders' code is in framed/peers.ts and framed/tls-peers.ts.
 */
import { workerPeer } from '../lib/peer.js';
import type { Metrics, Mode, Scenario } from '../lib/scenario.js';
import { benchCertificate, type TlsServerParams } from '../lib/tls-certificate.js';
import { PREFIX_SIZE } from './framed/peers.js';
import { framedMetrics, framedRound, type FramedParams as Params } from './framed/round.js';

const PEERS = new URL('./framed/peers.js', import.meta.url).href;
const TLS_PEERS = new URL('./framed/tls-peers.js', import.meta.url).href;

export const framedTls: Scenario<Params> = {
  id: 'framed-tls',
  title: 'Framed 100-byte messages over TLS',
  params: (mode: Mode) => ({
    messageSize: 100,
    block: 250_000,
    blocks: mode === 'quick' ? 1 : 4,
    warmup: 50_000,
  }),
  describe: (p) =>
    `${(p.block * p.blocks).toLocaleString('en-US')} messages of ${p.messageSize} bytes per ` +
    `contender and round, each behind a ${PREFIX_SIZE}-byte big-endian length, over one ` +
    'loopback connection: plain TCP for the baseline, TLS for the others (a self-signed RSA ' +
    '2048 certificate made at startup, the same for every contender, trusted by the client as ' +
    "its CA; node:tls's default protocol and cipher), in blocks of " +
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
      digits: 2,
    },
    {
      // The same figure, held against raw node:tls doing the batching by hand.
      key: 'rateVsRawTls',
      label: 'messages/s, against raw node:tls packed',
      unit: 'M/s',
      better: 'higher',
      ratio: true,
      against: 'node:tls-packed',
      ratioFor: ['dsock-tls'],
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
      id: 'dsock-tcp',
      label: 'dsock MessageStream over TCP',
      peers: {
        receiver: workerPeer(PEERS, 'dsockReceiver'),
        sender: workerPeer(PEERS, 'dsockSender'),
      },
      note: 'as `dsock` in the framed scenario: `MessageStream.connect`, `stream.write(message)`',
    },
    {
      id: 'dsock-tls',
      label: 'dsock MessageStream over TLS',
      peers: {
        receiver: workerPeer(TLS_PEERS, 'dsockTlsReceiver'),
        sender: workerPeer(TLS_PEERS, 'dsockTlsSender'),
      },
      note:
        'sender: `MessageStream.connect(ep, { tls: { ca } })`, then per message ' +
        '`stream.write(message)`, `await stream.drain()` only when it returns false, ' +
        '`await stream.flush()` at the end of a block; receiver: `StreamServer.listen(ep, ' +
        '{ tls: { cert, key } })`, `new MessageStream(await server.accept())`, ' +
        '`for await (const message of stream)`',
    },
    {
      id: 'node:tls-packed',
      label: 'raw node:tls, frames packed into 64 KiB writes',
      peers: {
        receiver: workerPeer(TLS_PEERS, 'rawTlsReceiver'),
        sender: workerPeer(TLS_PEERS, 'rawTlsPackedSender'),
      },
      note:
        'sender: `tls.connect({ host, port, ca })`, frames written with `writeUInt32BE` and ' +
        "copy into a 64 KiB buffer, `socket.write(buffer)` when full, awaiting 'drain' when it " +
        'returns false, the block ending with `setNoDelay(true)` then `(false)`; receiver: ' +
        "`tls.createServer({ cert, key })`, on('data') joins a partial frame with the chunk " +
        '(`Buffer.concat`) and cuts frames with `readUInt32BE` and `subarray`',
    },
  ],
  async round(order, p, context) {
    const { cert, key } = await benchCertificate();
    const receiverParams: TlsServerParams = { cert, key };
    const totals = await framedRound('framed-tls', order, p, context, receiverParams, {
      ca: cert,
    });
    const metrics: Record<string, Metrics> = {};
    for (const [id, t] of totals) {
      const figures = framedMetrics(t);
      metrics[id] = { ...figures, rateVsRawTls: figures.rate };
    }
    return metrics;
  },
};
