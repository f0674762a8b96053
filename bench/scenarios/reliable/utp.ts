/**
 * The uTP contender of the reliable goodput benchmarks (the standalone bench/reliable-goodput.ts
 * and the suite's bench/scenarios/reliable-goodput.ts): utp-native, the libutp bindings (uTP, BEP 29, as BitTorrent uses it). uTP is a byte stream, so the same
 * 1 KiB messages are written, in order and with the stream's back-pressure, to one connection
 * whose client reaches the server through a ChaosRelay; goodput is what the server's stream
 * reads. The clock starts at the connect, so uTP's handshake counts as part of the transfer.
 */
import type utp from 'utp-native';
import { ChaosRelay } from '../../../src/index.js';
import { loadContender } from '../../lib/contender-modules.js';

/** The utp-native module. */
export type Utp = typeof utp;

/** What one uTP run delivered. */
export interface UtpResult {
  /** Until the last byte arrived, or the cap when it did not. */
  seconds: number;
  delivered: number;
  /** Why the connection ended before delivering everything, e.g. `UTP_ETIMEDOUT at 9.0 s`. */
  failure?: string;
}

/** One run: `messages` messages of `messageSize` bytes, given at most `capMs` to arrive. */
export interface UtpRunOptions {
  messages: number;
  messageSize: number;
  loss: number;
  seed: number;
  capMs: number;
}

const LOOPBACK = '127.0.0.1';
/** How long a run waits for uTP's own closing handshake before leaving it to finish alone. */
const CLOSE_WAIT_MS = 1000;

let loaded: Utp | string | undefined;

/**
 * Loads utp-native, or says why it cannot be loaded (missing package, no binary for this
 * platform). Synchronous (the package is CommonJS), so that a suite contender can ask it from
 * its `unavailable()`; the outcome is kept.
 */
export function loadUtpSync(): Utp | string {
  if (loaded !== undefined) return loaded;
  try {
    loaded = loadContender<Utp>('utp-native');
  } catch (error) {
    loaded = `utp-native could not be loaded: ${error instanceof Error ? error.message : String(error)}`;
  }
  return loaded;
}

/** {@link loadUtpSync}, as the standalone benchmark calls it. */
export function loadUtp(): Promise<Utp | string> {
  return Promise.resolve(loadUtpSync());
}

/** Binds `socket` with `bind` and resolves once it listens. */
function listening(socket: utp.Socket, bind: (onListening: () => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    bind(() => resolve());
  });
}

/**
 * Closes a uTP socket, waiting at most {@link CLOSE_WAIT_MS}: a connection cut short (a capped
 * run) may take libutp many retransmission timeouts to wind down, and that is not the
 * benchmark's business. A socket still closing then no longer holds the process open.
 */
function closeSoon(socket: utp.Socket): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      socket.unref();
      resolve();
    }, CLOSE_WAIT_MS);
    socket.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Sends the messages over one uTP connection through a lossy relay and measures goodput. */
export async function utpRun(module: Utp, options: UtpRunOptions): Promise<UtpResult> {
  const { messages, messageSize, loss, seed, capMs } = options;
  const server = module.createServer();
  const client = module();
  const ignore = (): void => {};
  // Errors of the sockets themselves (not of a connection) would otherwise be thrown as events.
  server.on('error', ignore);
  client.on('error', ignore);
  let relay: ChaosRelay | undefined;
  let connection: utp.Connection | undefined;
  let cap: NodeJS.Timeout | undefined;
  try {
    await listening(server, (done) => server.listen(0, LOOPBACK, done));
    relay = await ChaosRelay.start({
      target: { host: LOOPBACK, port: server.address().port },
      faults: { loss, seed },
    });
    // Bound to loopback explicitly: utp-native's own connect() binds to every interface.
    await listening(client, (done) => client.bind(0, LOOPBACK, done));

    const total = messages * messageSize;
    const payload = Buffer.alloc(messageSize, 0x61);
    let delivered = 0;
    let last = 0;
    let failure: string | undefined;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const started = performance.now();
    const fail = (error: Error & { code?: string }): void => {
      const at = ((performance.now() - started) / 1000).toFixed(1);
      failure ??= `${error.code ?? error.message} at ${at} s`;
      finish();
    };
    server.on('connection', (accepted) => {
      accepted.on('error', fail);
      accepted.on('data', (chunk: Buffer) => {
        delivered += chunk.length;
        if (delivered < total) return;
        last = performance.now();
        finish();
      });
    });

    const endpoint = relay.localEndpoint;
    const conn = client.connect(endpoint.port, endpoint.host);
    connection = conn;
    conn.on('error', fail);
    let written = 0;
    const pump = (): void => {
      while (written < messages) {
        written++;
        if (!conn.write(payload)) {
          conn.once('drain', pump);
          return;
        }
      }
    };
    pump();
    cap = setTimeout(finish, capMs);
    await finished;

    const complete = delivered >= total;
    const seconds = complete ? (last - started) / 1000 : capMs / 1000;
    return failure === undefined ? { seconds, delivered } : { seconds, delivered, failure };
  } finally {
    clearTimeout(cap);
    connection?.destroy();
    for (const accepted of server.connections) accepted.destroy();
    await Promise.all([closeSoon(client), closeSoon(server)]);
    await relay?.close();
  }
}
