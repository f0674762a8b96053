/**
 * The contenders of the RPC scenario (../rpc.ts): a server and a client thread each, doing
 * the same small call, add(a, b), over loopback.
 */
import { once } from 'node:events';
import { Agent, createServer, request, type Server } from 'node:http';
import { RpcClient, RpcServer, type CallContext } from '../../../src/index.js';
import { listeningPort } from '../../lib/listening-port.js';
import { STOP, type PeerContext, type PeerMessage } from '../../lib/peer-protocol.js';
import { percentileOfSorted } from '../../lib/stats.js';

const HOST = '127.0.0.1';

export interface ClientParams {
  port: number;
  /** Calls in flight, one level after the other. */
  levels: readonly number[];
  warmup: number;
  calls: number;
  /**
   * The longest a level's timed calls may take, in seconds (its warm-up: a quarter of it):
   * past it no further call starts, and the level is measured over the calls made. A contender
   * far slower than the others, or a machine far busier than usual, then still gives figures
   * within the trial's time limit.
   */
  levelSeconds: number;
}

/** What the client measured at one level of calls in flight. */
export interface LevelResult {
  inFlight: number;
  /** The timed calls made (fewer than asked when the level ran out of time). */
  calls: number;
  rate: number;
  p50: number;
  p99: number;
}

export interface ClientResult extends PeerMessage {
  levels: LevelResult[];
}

/** One call: resolves with a + b. */
export type Call = (a: number, b: number) => Promise<number>;

/**
 * Makes `count` calls, `inFlight` at a time, each timed, starting none after `seconds`;
 * returns the nanoseconds of each call made and the wall time of them all.
 */
async function drive(call: Call, inFlight: number, count: number, seconds: number) {
  const samples = new Float64Array(count);
  let next = 0;
  let done = 0;
  const started = process.hrtime.bigint();
  const last = started + BigInt(Math.round(seconds * 1e9));
  const worker = async (): Promise<void> => {
    while (next < count) {
      const start = process.hrtime.bigint();
      if (start > last) break;
      const at = next++;
      const sum = await call(at, 1);
      samples[at] = Number(process.hrtime.bigint() - start);
      done++;
      if (sum !== at + 1) throw new Error(`add(${at}, 1) returned ${sum}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  // Calls are numbered as they start and all that started have finished: 0..next-1.
  return { samples: samples.subarray(0, done), ns: Number(process.hrtime.bigint() - started) };
}

/** The client side common to every contender: each level, warm-up, then the timed calls. */
export async function clientSide(
  context: PeerContext<ClientParams>,
  call: (inFlight: number) => Call,
): Promise<void> {
  const { levels, warmup, calls, levelSeconds } = context.params;
  const results: LevelResult[] = [];
  for (const inFlight of levels) {
    const caller = call(inFlight);
    await drive(caller, inFlight, warmup, levelSeconds / 4);
    const { samples, ns } = await drive(caller, inFlight, calls, levelSeconds);
    const micros = Array.from(samples, (value) => value / 1000).sort((a, b) => a - b);
    results.push({
      inFlight,
      calls: samples.length,
      rate: samples.length / (ns / 1e9),
      p50: percentileOfSorted(micros, 50),
      p99: percentileOfSorted(micros, 99),
    });
  }
  context.post({ type: 'result', levels: results } satisfies ClientResult);
}

export async function dsockServer(context: PeerContext<unknown>): Promise<void> {
  const server = await RpcServer.listen(`${HOST}:0`, {
    methods: { add: (_context: CallContext, a: number, b: number) => a + b },
  });
  context.post({ type: 'ready', port: server.localEndpoint.port });
  await context.next(STOP);
  await server.close();
}

export async function dsockClient(context: PeerContext<ClientParams>): Promise<void> {
  const client = new RpcClient({ host: HOST, port: context.params.port }, { multiplex: true });
  interface Calculator {
    add(a: number, b: number): number;
  }
  const calculator = client.stub<Calculator>();
  try {
    await clientSide(context, () => (a, b) => calculator.add(a, b));
  } finally {
    await client.close();
  }
}

export async function dsockPerCallClient(context: PeerContext<ClientParams>): Promise<void> {
  const client = new RpcClient({ host: HOST, port: context.params.port });
  try {
    await clientSide(context, () => (a, b) => client.call('add', [a, b]) as Promise<number>);
  } finally {
    await client.close();
  }
}

export async function httpServer(context: PeerContext<unknown>): Promise<void> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { a, b } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        a: number;
        b: number;
      };
      const body = JSON.stringify({ result: a + b });
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, HOST);
  await once(server, 'listening');
  context.post({ type: 'ready', port: listeningPort(server) });
  await context.next(STOP);
  server.closeAllConnections();
  server.close();
}

export async function httpClient(context: PeerContext<ClientParams>): Promise<void> {
  const { port } = context.params;
  const agents: Agent[] = [];
  const perLevel = new Map<number, Call>();
  try {
    await clientSide(context, (inFlight) => {
      let caller = perLevel.get(inFlight);
      if (caller === undefined) {
        // HTTP/1.1 carries one request at a time per connection: as many kept-alive
        // connections as calls in flight.
        const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
        agents.push(agent);
        caller = (a, b) => post(agent, port, a, b);
        perLevel.set(inFlight, caller);
      }
      return caller;
    });
  } finally {
    for (const agent of agents) agent.destroy();
  }
}

function post(agent: Agent, port: number, a: number, b: number): Promise<number> {
  const body = JSON.stringify({ a, b });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: HOST,
        port,
        path: '/add',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve(
            (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { result: number }).result,
          );
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
