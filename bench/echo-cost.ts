/**
 * What one end of the tcp-echo scenario costs per 64-byte round trip, in figures the load of a
 * shared machine does not move: heap allocated (garbage included) and scavenges, or the promises
 * and ticks made. The other end is a raw node:net peer in a child process, so only the measured
 * end's code differs; the dsock end runs the loop the bench's dsock peers run.
 *
 *   node build/bench/echo-cost.js client|server raw|dsock [--trips N] [--warmup N] [--hooks]
 *
 * `--hooks` counts async_hooks inits instead (with hooks on, each await also makes a promise).
 * Main-thread instructions per round trip: run it under callgrind with two trip counts and
 * divide the difference of the main thread's totals by the difference of the counts:
 *
 *   valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file=/tmp/cg \
 *     node build/bench/echo-cost.js server dsock --trips 8000   # then --trips 2000; /tmp/cg-01
 */
import { createHook } from 'node:async_hooks';
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { GCProfiler, getHeapStatistics } from 'node:v8';
import { StreamServer, StreamSocket } from '../src/index.js';

const HOST = '127.0.0.1';
const SIZE = 64;

/** Starts measuring; the function it returns stops and gives the figures per round trip. */
type Meter = () => (trips: number) => Record<string, number | string>;

function heapMeter(): (trips: number) => Record<string, number | string> {
  const profiler = new GCProfiler();
  profiler.start();
  const start = getHeapStatistics().used_heap_size;
  return (trips) => {
    const end = getHeapStatistics().used_heap_size;
    let freed = 0;
    const scavenges: number[] = [];
    let others = 0;
    for (const { gcType, cost, beforeGC, afterGC } of profiler.stop()?.statistics ?? []) {
      freed += beforeGC.heapStatistics.usedHeapSize - afterGC.heapStatistics.usedHeapSize;
      if (gcType === 'Scavenge') scavenges.push(Math.round(cost));
      else others++;
    }
    return {
      bytesPerTrip: Math.round(((end - start + freed) / trips) * 10) / 10,
      scavengesPer10k: Math.round((scavenges.length * 1e5) / trips) / 10,
      otherCollections: others,
      scavengeMicros: scavenges.join('/'),
    };
  };
}

function hookMeter(): (trips: number) => Record<string, number | string> {
  const made = new Map<string, number>();
  const hook = createHook({
    init(_id, type) {
      made.set(type, (made.get(type) ?? 0) + 1);
    },
  }).enable();
  return (trips) => {
    hook.disable();
    return Object.fromEntries([...made].map(([type, n]) => [`${type}PerTrip`, n / trips]));
  };
}

/** The raw other end, in a child process: an echo server, or a client pinging until killed. */
async function peer(role: string): Promise<void> {
  if (role === 'server') {
    const server = createServer((socket) => {
      socket.on('data', (chunk: Buffer) => socket.write(chunk));
      socket.on('error', () => socket.destroy());
    });
    server.listen(0, HOST);
    await once(server, 'listening');
    process.send?.((server.address() as AddressInfo).port);
    process.on('disconnect', () => server.close());
    return;
  }
  const [port] = (await once(process, 'message')) as [number];
  const socket = connect(port, HOST);
  socket.setNoDelay(true);
  const payload = Buffer.alloc(SIZE, 0x61);
  let pending = SIZE;
  socket.on('data', (chunk: Buffer) => {
    pending -= chunk.length;
    if (pending > 0) return;
    pending = SIZE;
    socket.write(payload);
  });
  socket.on('error', () => process.exit(0));
  socket.on('close', () => process.exit(0));
  socket.write(payload);
}

/** The measured client: `warmup` round trips, then `trips` measured. */
async function client(impl: string, meter: Meter, warmup: number, trips: number) {
  const child = fork(new URL(import.meta.url), ['peer', 'server']);
  const [port] = (await once(child, 'message')) as [number];
  const payload = Buffer.alloc(SIZE, 0x61);
  let run: (count: number) => Promise<void>;
  let close: () => unknown;
  if (impl === 'dsock') {
    const socket = await StreamSocket.connect({ host: HOST, port }, { noDelay: true });
    run = async (count) => {
      for (let i = 0; i < count; i++) {
        await socket.sendAll(payload);
        await socket.recvExactly(SIZE);
      }
    };
    close = () => socket.close();
  } else {
    const socket = connect(port, HOST);
    socket.setNoDelay(true);
    await once(socket, 'connect');
    let pending = 0;
    let left = 0;
    let done = (): void => undefined;
    socket.on('data', (chunk: Buffer) => {
      pending -= chunk.length;
      if (pending > 0) return;
      if (--left === 0) return done();
      pending = SIZE;
      socket.write(payload);
    });
    run = (count) =>
      new Promise<void>((resolve) => {
        done = resolve;
        left = count;
        pending = SIZE;
        socket.write(payload);
      });
    close = () => socket.destroy();
  }
  await run(warmup);
  const stop = meter();
  await run(trips);
  const figures = stop(trips);
  await close();
  child.disconnect();
  return figures;
}

/** The measured server: counts the chunks it echoes, measuring from `warmup` to `warmup + trips`. */
async function server(impl: string, meter: Meter, warmup: number, trips: number) {
  let echoed = 0;
  let stop: ((trips: number) => Record<string, number | string>) | undefined;
  let finish = (_figures: Record<string, number | string>): void => undefined;
  const finished = new Promise<Record<string, number | string>>((resolve) => (finish = resolve));
  const count = (): void => {
    if (++echoed === warmup) stop = meter();
    else if (echoed === warmup + trips) finish(stop!(trips));
  };
  let port: number;
  let close: () => unknown;
  if (impl === 'dsock') {
    const listener = await StreamServer.listen(`${HOST}:0`);
    port = listener.localEndpoint.port;
    void (async () => {
      for await (const socket of listener) {
        void (async () => {
          try {
            for await (const chunk of socket) {
              count();
              await socket.sendAll(chunk);
            }
          } catch {
            // The client went away.
          } finally {
            await socket.close();
          }
        })();
      }
    })();
    close = () => listener.close();
  } else {
    const listener = createServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        count();
        socket.write(chunk);
      });
      socket.on('error', () => socket.destroy());
    });
    listener.listen(0, HOST);
    await once(listener, 'listening');
    port = (listener.address() as AddressInfo).port;
    close = () => listener.close();
  }
  const child = fork(new URL(import.meta.url), ['peer', 'client']);
  child.send(port);
  const figures = await finished;
  child.kill();
  await close();
  return figures;
}

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

const [side = '', impl = ''] = process.argv.slice(2);
if (side === 'peer') {
  await peer(impl);
} else {
  if (!['client', 'server'].includes(side) || !['raw', 'dsock'].includes(impl)) {
    throw new Error(
      'usage: echo-cost.js client|server raw|dsock [--trips N] [--warmup N] [--hooks]',
    );
  }
  const trips = option('--trips', 20_000);
  const warmup = option('--warmup', 5_000);
  const meter: Meter = process.argv.includes('--hooks') ? hookMeter : heapMeter;
  const measure = side === 'client' ? client : server;
  const figures = await measure(impl, meter, warmup, trips);
  console.log(JSON.stringify({ side, impl, trips, warmup, ...figures }));
  process.exit(0);
}
