/**
 * Remote procedure calls: a small call, add(a, b), from a client thread to a server thread
 * over loopback, with 1 and with 64 calls in flight. dsock's RpcClient and RpcServer (one
 * connection, calls multiplexed) against JSON over node:http with keep-alive (the baseline),
 * and dsock in the course's mode (one connection per call). The peers are in rpc/peers.ts.
 */
import { workerPeer } from '../lib/peer.js';
import type { Metrics, MetricSpec, Mode, Scenario } from '../lib/scenario.js';
import type { ClientParams, ClientResult } from './rpc/peers.js';

interface Params {
  levels: readonly number[];
  warmup: number;
  calls: number;
}

interface Ready {
  type: 'ready';
  port: number;
  [field: string]: unknown;
}

const PEERS = new URL('./rpc/peers.js', import.meta.url).href;

function levelMetrics(inFlight: number): MetricSpec[] {
  return [
    {
      key: `rate${inFlight}`,
      label: `calls/s, ${inFlight} in flight`,
      unit: 'k/s',
      better: 'higher',
      ratio: true,
      headline: true,
      digits: 1,
    },
    {
      key: `p50_${inFlight}`,
      label: `call p50, ${inFlight} in flight`,
      unit: 'µs',
      better: 'lower',
      ratio: true,
      headline: true,
      digits: 1,
    },
    {
      key: `p99_${inFlight}`,
      label: `call p99, ${inFlight} in flight`,
      unit: 'µs',
      better: 'lower',
      ratio: true,
      digits: 1,
    },
  ];
}

export const rpc: Scenario<Params> = {
  id: 'rpc',
  title: 'Remote procedure calls: add(a, b) over loopback',
  params: (mode: Mode) =>
    mode === 'quick'
      ? { levels: [1, 64], warmup: 2_000, calls: 10_000 }
      : { levels: [1, 64], warmup: 10_000, calls: 50_000 },
  describe: (p) =>
    `add(a, b) called ${p.calls.toLocaleString('en-US')} times per level of calls in flight ` +
    `(${p.levels.join(' and ')}), after ${p.warmup.toLocaleString('en-US')} untimed, each ` +
    'call timed from the call to its result; calls/s over the whole level',
  roles: ['server', 'client'],
  metrics: [...levelMetrics(1), ...levelMetrics(64)],
  contenders: [
    {
      id: 'http',
      label: 'JSON over node:http, keep-alive',
      peers: {
        server: workerPeer(PEERS, 'httpServer'),
        client: workerPeer(PEERS, 'httpClient'),
      },
      note:
        'server: `createServer`, the body gathered and `JSON.parse`d, `res.end(JSON.stringify' +
        '({ result }))`; client: `http.request` POST with a keep-alive `Agent` of as many ' +
        'sockets as calls in flight (HTTP/1.1 carries one request at a time per connection)',
    },
    {
      id: 'dsock',
      label: 'dsock RpcClient/RpcServer, one connection',
      peers: {
        server: workerPeer(PEERS, 'dsockServer'),
        client: workerPeer(PEERS, 'dsockClient'),
      },
      note:
        'server: `RpcServer.listen` with `methods: { add }`; client: `new RpcClient(server, ' +
        '{ multiplex: true })` and a typed stub, `await calculator.add(a, b)`: every call on one ' +
        'connection, matched by its id',
    },
    {
      id: 'dsock-per-call',
      label: "dsock RpcClient, the course's one connection per call",
      peers: {
        server: workerPeer(PEERS, 'dsockServer'),
        client: workerPeer(PEERS, 'dsockPerCallClient'),
      },
      note:
        'server: as `dsock`; client: `new RpcClient(server)` (the default), `await client.call' +
        "('add', [a, b])`: connect, one request, one response, close",
    },
  ],
  async trial(contender, p, context) {
    const server = context.start('server', {});
    const { port } = await server.next<Ready>('ready', context.messageTimeoutMs);
    const params: ClientParams = { port, levels: p.levels, warmup: p.warmup, calls: p.calls };
    const client = context.start('client', params);
    const { levels } = await client.next<ClientResult>('result', context.messageTimeoutMs);
    const metrics: Metrics = {};
    for (const level of levels) {
      metrics[`rate${level.inFlight}`] = level.rate / 1000;
      metrics[`p50_${level.inFlight}`] = level.p50;
      metrics[`p99_${level.inFlight}`] = level.p99;
    }
    return metrics;
  },
};
