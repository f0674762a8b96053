/**
 * Memory scenarios: resident memory per idle TCP connection here, the receive side's memory
 * while a sender floods a socket nobody reads in `memory-flood.ts`. Memory belongs to a whole
 * process, so each end runs in a fresh child process of its own (started with `--expose-gc`,
 * see `memory/`) rather than in a worker thread; the trials start those children themselves,
 * and the contenders have no worker peers.
 */
import { ChildHandle, openFilesProblem } from '../lib/child-process.js';
import type { Contender, MetricSpec, Scenario } from '../lib/scenario.js';
import type { IdleParams, IdleReport } from './memory/idle-connections.js';

const IDLE_CHILD = new URL('./memory/idle-connections.js', import.meta.url);
/** How every memory child is started. */
export const GC = { nodeOptions: ['--expose-gc'] } as const;
const KiB = 1024;
/** Descriptors a child needs besides its connections (stdio, the event loop, the listener). */
const SPARE_FILES = 256;

export type Api = 'dsock' | 'raw';

/** Which API a contender's children use: dsock for the `dsock…` contenders, else raw Node.js. */
export function apiOf(contender: Contender): Api {
  return contender.id.startsWith('dsock') ? 'dsock' : 'raw';
}

/** How a dsock contender serves its connections (see IdleParams.serving). */
function servingOf(id: string): IdleParams['serving'] {
  if (id === 'dsock-each') return 'each';
  return id === 'dsock-held' ? 'none' : 'recv';
}

interface IdleScenarioParams {
  count: number;
  concurrency: number;
}

const perConnection = (
  key: string,
  label: string,
  extra: Partial<MetricSpec> = {},
): MetricSpec => ({
  key,
  label,
  unit: 'KiB',
  better: 'lower',
  ratio: true,
  digits: 2,
  ...extra,
});

/**
 * Resident memory per idle TCP connection: a server process accepting `count` connections from
 * a client process, both waiting for data that never comes; the growth of each process's RSS
 * (settled by full collections before the first connection and after the last), divided by
 * `count`.
 */
export const idleMemory: Scenario<IdleScenarioParams> = {
  id: 'idle-memory',
  title: 'Memory per idle TCP connection',
  params: () => ({ count: 10_000, concurrency: 64 }),
  // The figures barely vary from round to round, and each round opens 2 x count connections.
  maxRounds: { quick: 1, full: 5 },
  describe: (p) =>
    `${p.count.toLocaleString('en-US')} idle loopback connections between a server process and ` +
    `a client process (fresh Node.js processes, ${p.concurrency} connects in flight); each ` +
    "process's RSS growth from before the first connection to after the last, both settled " +
    'by full garbage collections, per connection; the open-file limit is raised for the ' +
    'children (where it cannot be, each trial fails saying so)',
  roles: ['server', 'client'],
  metrics: [
    perConnection('both', 'RSS per connection, both ends', { target: 1.2 }),
    perConnection('server', 'RSS per connection, server end', { headline: true }),
    perConnection('client', 'RSS per connection, client end', { headline: true }),
    perConnection('heap', 'JS heap per connection, both ends'),
    perConnection('external', 'external memory per connection, both ends'),
    perConnection('young', 'young generation growth per connection, both ends'),
  ],
  contenders: [
    {
      id: 'node:net',
      label: 'raw node:net',
      peers: {},
      note:
        "server: `createServer(handler)`, the handler keeps the socket and adds `on('data')` " +
        "and `on('error')` listeners; client: `connect(port, host)`, `once('connect')`, the " +
        'same two listeners',
    },
    {
      id: 'dsock',
      label: 'dsock StreamServer / StreamSocket',
      peers: {},
      note:
        'server: `StreamServer.listen()` and an `await accept()` loop; client: `await ' +
        'StreamSocket.connect({ host, port })`; on both ends every connection has a serving ' +
        'loop waiting in `await recv(65536)`, whose suspended async function costs the heap ' +
        "about 270 B per end more than the raw handler's listener closures (bench/README.md)",
    },
    {
      id: 'dsock-each',
      label: 'dsock, forEachChunk',
      peers: {},
      note:
        'as `dsock`, but every connection is served by a handler given to ' +
        '`socket.forEachChunk(handler)` (and one shared `.catch`), the callback form of ' +
        "the serving loop, as the raw contender's 'data' listener is",
    },
    {
      id: 'dsock-held',
      label: 'dsock, no read pending',
      peers: {},
      note:
        'as `dsock`, but the connections are only kept, with no `recv` waiting: what the ' +
        'sockets cost apart from a pending read and the loop awaiting it',
    },
  ],
  async trial(contender, p, context) {
    const openFiles = p.count + SPARE_FILES;
    const problem = openFilesProblem(openFiles);
    if (problem !== undefined) throw new Error(`skipped: ${problem}`);
    const api = apiOf(contender);
    const base = {
      api,
      serving: servingOf(contender.id),
      count: p.count,
      concurrency: p.concurrency,
    };
    const options = { ...GC, openFiles };
    const server = new ChildHandle(
      `${contender.id} server`,
      IDLE_CHILD,
      { ...base, role: 'server' } satisfies IdleParams,
      options,
    );
    let client: ChildHandle | undefined;
    try {
      const { port } = await server.next<{ type: string; port: number }>(
        'ready',
        context.messageTimeoutMs,
      );
      client = new ChildHandle(
        `${contender.id} client`,
        IDLE_CHILD,
        { ...base, role: 'client', port } satisfies IdleParams,
        options,
      );
      const [s, c] = await Promise.all([
        server.next<IdleReport>('measured', context.messageTimeoutMs),
        client.next<IdleReport>('measured', context.messageTimeoutMs),
      ]);
      if (s.dropped !== 0) throw new Error(`the server dropped ${s.dropped} connections`);
      if (s.received + c.received !== 0) throw new Error('data arrived on idle connections');
      const per = (bytes: number): number => bytes / p.count / KiB;
      const grown = (report: IdleReport, key: keyof IdleReport['after']): number =>
        report.after[key] - report.before[key];
      return {
        both: per(grown(s, 'rss') + grown(c, 'rss')),
        server: per(grown(s, 'rss')),
        client: per(grown(c, 'rss')),
        heap: per(grown(s, 'heapUsed') + grown(c, 'heapUsed')),
        external: per(grown(s, 'external') + grown(c, 'external')),
        young: per(grown(s, 'newSpace') + grown(c, 'newSpace')),
      };
    } finally {
      await Promise.all([server.close(), client?.close()]);
    }
  },
};
