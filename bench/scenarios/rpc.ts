/**
 * Remote procedure calls: a small call, add(a, b), from a client thread to a server thread
 * over loopback, with 1 and with 64 calls in flight. dsock's RpcClient and RpcServer (one
 * connection, calls multiplexed) against JSON over node:http with keep-alive (the baseline) and
 * against @grpc/grpc-js unary calls (one HTTP/2 connection); and in the course's mode (one
 * connection per call), dsock's server against the course lab's Python server, both called by
 * the same dsock client. The peers are in rpc/peers.ts, rpc/grpc-peers.ts and
 * bench/python/rpc_server.py.
 */
import { contenderMissing } from '../lib/contender-modules.js';
import { workerPeer } from '../lib/peer.js';
import { pythonContender } from '../lib/process-contenders.js';
import type { Contender, Metrics, MetricSpec, Mode, Scenario } from '../lib/scenario.js';
import type { ClientParams, ClientResult } from './rpc/peers.js';

interface Params {
  levels: readonly number[];
  warmup: number;
  calls: number;
  /** The most seconds a level's timed calls may take (see ClientParams.levelSeconds). */
  levelSeconds: number;
}

interface Ready {
  type: 'ready';
  port: number;
  [field: string]: unknown;
}

const PEERS = new URL('./rpc/peers.js', import.meta.url).href;
const GRPC_PEERS = new URL('./rpc/grpc-peers.js', import.meta.url).href;

/** The contender held to the targets, and the two it is held against. */
const DSOCK = 'dsock';
const GRPC = 'grpc';
const DSOCK_PER_CALL = 'dsock-per-call';
const PYTHON_PER_CALL = 'python-per-call';

/**
 * The course lab's Python server (bench/python/rpc_server.py), called by dsock's client in the
 * course's mode: the same client as `dsock-per-call`, so that only the server differs.
 */
function pythonLabServer(): Contender {
  const python = pythonContender('rpc_server.py', { roles: ['server'], note: '' });
  const server = python.peers.server;
  if (server === undefined) throw new Error('the Python contender has no server');
  return {
    id: PYTHON_PER_CALL,
    get label(): string {
      return `${python.label.replace(/ socket$/, '')} lab-style server, one connection per call`;
    },
    peers: { server, client: workerPeer(PEERS, 'dsockPerCallClient') },
    note:
      'server: `socket` accept loop, a `threading.Thread` per connection reading one frame, ' +
      'the tagged JSON turned into a `Request`, `getattr(service, request.name)(*args)`, the ' +
      '`Response` written with `json.dumps(..., indent=2)` in one `sendall`, then the ' +
      'connection closed, as the course lab writes it; client: as `dsock-per-call`',
    unavailable: () => python.unavailable?.(),
  };
}

/**
 * The targets, set against another contender than the baseline: the same figure under
 * a key of its own (see the trial), compared with `against` for the contenders in `ratioFor`.
 */
function comparedWith(
  spec: MetricSpec,
  against: string,
  ratioFor: readonly string[],
  target?: number,
): MetricSpec {
  const compared: MetricSpec = {
    ...spec,
    key: `${spec.key}_vs_${against}`,
    label: `${spec.label}, against ${against}`,
    against,
    ratioFor,
    headline: true,
  };
  if (target !== undefined) {
    compared.target = target;
    compared.targetFor = ratioFor;
  }
  return compared;
}

function rateMetric(inFlight: number): MetricSpec {
  return {
    key: `rate${inFlight}`,
    label: `calls/s, ${inFlight} in flight`,
    unit: 'k/s',
    better: 'higher',
    ratio: true,
    headline: true,
    digits: 1,
  };
}

function p50Metric(inFlight: number): MetricSpec {
  return {
    key: `p50_${inFlight}`,
    label: `call p50, ${inFlight} in flight`,
    unit: 'µs',
    better: 'lower',
    ratio: true,
    headline: true,
    digits: 1,
  };
}

function levelMetrics(inFlight: number): MetricSpec[] {
  return [
    rateMetric(inFlight),
    p50Metric(inFlight),
    {
      // Fewer than asked when the level ran out of time (levelSeconds).
      key: `calls${inFlight}`,
      label: `timed calls made, ${inFlight} in flight`,
      unit: 'calls',
      better: 'higher',
      ratio: false,
      digits: 0,
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
      ? { levels: [1, 64], warmup: 2_000, calls: 10_000, levelSeconds: 12 }
      : { levels: [1, 64], warmup: 10_000, calls: 50_000, levelSeconds: 20 },
  // The course's one-call-per-connection contenders run each level to its time limit: five
  // rounds of them are medians enough and keep a full run of the suite within half an hour.
  maxRounds: { full: 5 },
  describe: (p) =>
    `add(a, b) called ${p.calls.toLocaleString('en-US')} times per level of calls in flight ` +
    `(${p.levels.join(' and ')}), after ${p.warmup.toLocaleString('en-US')} untimed, each ` +
    `call timed from the call to its result; calls/s over the whole level. A level stops ` +
    `starting calls after ${p.levelSeconds} s (its warm-up after a quarter of that), so that a ` +
    "slow contender is measured over the calls it made within the trial's time limit",
  roles: ['server', 'client'],
  metrics: [
    ...levelMetrics(1),
    ...levelMetrics(64),
    // dsock multiplexed: at least 2 x grpc-js's calls/s with 64 in flight, and a p50 no worse
    // than grpc-js's with 1 in flight.
    comparedWith(rateMetric(64), GRPC, [DSOCK], 2),
    comparedWith(p50Metric(1), GRPC, [DSOCK], 1),
    comparedWith(rateMetric(1), GRPC, [DSOCK]),
    comparedWith(p50Metric(64), GRPC, [DSOCK]),
    // The course's mode: dsock's server against the lab's Python server, the same client.
    comparedWith(rateMetric(1), PYTHON_PER_CALL, [DSOCK_PER_CALL]),
    comparedWith(rateMetric(64), PYTHON_PER_CALL, [DSOCK_PER_CALL]),
    comparedWith(p50Metric(1), PYTHON_PER_CALL, [DSOCK_PER_CALL]),
  ],
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
      id: GRPC,
      label: '@grpc/grpc-js unary calls, one channel',
      peers: {
        server: workerPeer(GRPC_PEERS, 'grpcServer'),
        client: workerPeer(GRPC_PEERS, 'grpcClient'),
      },
      note:
        'server: `new Server()`, `addService` with a unary `add` handler, `bindAsync` insecure; ' +
        'client: one `Client` (one HTTP/2 connection, each call a stream of it), ' +
        '`makeUnaryRequest` per call, as generated stubs do; the messages are protobuf bytes ' +
        '(`AddRequest { int32 a = 1; int32 b = 2; }`, `AddReply { int32 result = 1; }`) ' +
        'encoded by hand, the least work a protobuf library can do for them',
      unavailable: () => contenderMissing('@grpc/grpc-js'),
    },
    {
      id: DSOCK,
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
      id: DSOCK_PER_CALL,
      label: "dsock RpcClient, the course's one connection per call",
      peers: {
        server: workerPeer(PEERS, 'dsockServer'),
        client: workerPeer(PEERS, 'dsockPerCallClient'),
      },
      note:
        'server: as `dsock`; client: `new RpcClient(server)` (the default), `await client.call' +
        "('add', [a, b])`: connect, one request, one response, close",
    },
    pythonLabServer(),
  ],
  async trial(contender, p, context) {
    const server = context.start('server', {});
    const { port } = await server.next<Ready>('ready', context.messageTimeoutMs);
    const params: ClientParams = {
      port,
      levels: p.levels,
      warmup: p.warmup,
      calls: p.calls,
      levelSeconds: p.levelSeconds,
    };
    const client = context.start('client', params);
    const { levels } = await client.next<ClientResult>('result', context.messageTimeoutMs);
    const metrics: Metrics = {};
    for (const level of levels) {
      metrics[`rate${level.inFlight}`] = level.rate / 1000;
      metrics[`p50_${level.inFlight}`] = level.p50;
      metrics[`p99_${level.inFlight}`] = level.p99;
      metrics[`calls${level.inFlight}`] = level.calls;
    }
    // The figures held against another contender than the baseline, under their own keys.
    for (const metric of rpc.metrics) {
      if (metric.against === undefined) continue;
      const own = metrics[metric.key.slice(0, metric.key.indexOf('_vs_'))];
      if (own !== undefined) metrics[metric.key] = own;
    }
    return metrics;
  },
};
