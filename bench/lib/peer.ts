import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PeerMessage } from './peer-protocol.js';
import { STOP } from './peer-protocol.js';
import { MessageInbox } from './message-inbox.js';
import type { PeerWorkerData } from './peer-worker.js';
import { PeerProcess, type PeerChannel, type ProcessPeerSpec } from './process-peer.js';

/**
 * How to start one end of a contender: a worker thread running a peer function, or a program
 * of its own (a contender in another language, see process-peer.ts) speaking the same
 * messages as JSON lines.
 */
export interface WorkerPeerSpec {
  kind: 'worker';
  /** URL of the compiled module (its `import.meta.url`). */
  module: string;
  /** Name of the exported {@link PeerFunction}. */
  export: string;
  /**
   * Variables set in the worker's `process.env` on top of the coordinator's (a library option
   * read from the environment when its module loads: each worker loads its own copy).
   */
  env?: Readonly<Record<string, string>>;
}

export type PeerSpec = WorkerPeerSpec | ProcessPeerSpec;

/**
 * A peer run by `export` of the module at `module` (pass `import.meta.url`) in a worker, with
 * `env` added to its environment.
 */
export function workerPeer(
  module: string,
  exportName: string,
  env?: Readonly<Record<string, string>>,
): WorkerPeerSpec {
  return env === undefined
    ? { kind: 'worker', module, export: exportName }
    : { kind: 'worker', module, export: exportName, env };
}

/** The Node.js program that runs a peer function in a process of its own (peer-process.ts). */
const PEER_PROCESS = fileURLToPath(new URL('./peer-process.js', import.meta.url));

/**
 * A peer run by `export` of the module at `module` (pass `import.meta.url`) in a Node.js
 * process of its own, pinned as a whole when the placement pins (as the contenders in other
 * languages are), rather than in a worker thread of the coordinator's process, whose main
 * thread and helper threads are not pinned.
 */
export function processPeer(module: string, exportName: string): ProcessPeerSpec {
  return { kind: 'process', command: () => [process.execPath, PEER_PROCESS, module, exportName] };
}

const WORKER_URL = new URL('./peer-worker.js', import.meta.url);
/** How long a peer told to stop may take to close its sockets before it is terminated. */
const STOP_GRACE_MS = 2000;

/** The coordinator's side of a running peer. */
export class PeerHandle {
  readonly name: string;
  readonly #worker: PeerChannel;
  readonly #inbox: MessageInbox;
  #exited = false;
  readonly #exit: Promise<void>;

  /** Starts the peer; `cpu`, when given, is the one CPU its thread (or process) may run on. */
  constructor(name: string, spec: PeerSpec, params: unknown, cpu?: number) {
    this.name = name;
    this.#inbox = new MessageInbox(name);
    if (spec.kind === 'process') {
      this.#worker = new PeerProcess(spec, params, cpu);
    } else {
      const workerData: PeerWorkerData = {
        module: spec.module,
        export: spec.export,
        name,
        params,
        cpu,
      };
      this.#worker = new Worker(
        WORKER_URL,
        spec.env === undefined
          ? { workerData }
          : { workerData, env: { ...process.env, ...spec.env } },
      );
    }
    this.#worker.on('message', (message: PeerMessage) => {
      this.#inbox.deliver(message);
    });
    this.#worker.on('error', (error: Error) =>
      this.#fail(new Error(`${name} failed: ${error.message}`, { cause: error })),
    );
    this.#exit = new Promise<void>((resolve) => {
      this.#worker.once('exit', (code) => {
        this.#exited = true;
        this.#fail(new Error(`${name} ended (exit code ${code}) before sending what was expected`));
        resolve();
      });
    });
  }

  /** Sends `message` to the peer. */
  post(message: PeerMessage): void {
    if (!this.#exited) this.#worker.postMessage(message);
  }

  /** The peer's next message, which must be of `type`, within `timeoutMs`. */
  next<M extends PeerMessage = PeerMessage>(type: string, timeoutMs: number): Promise<M> {
    return this.#inbox.next<M>(type, timeoutMs);
  }

  /** Tells the peer to stop, and terminates it if it has not ended within a grace period. */
  async close(): Promise<void> {
    if (this.#exited) return;
    this.post({ type: STOP });
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), STOP_GRACE_MS);
    });
    const ended = await Promise.race([this.#exit.then(() => true), grace]);
    clearTimeout(timer);
    if (!ended) await this.#worker.terminate();
    await this.#exit;
  }

  #fail(error: Error): void {
    this.#inbox.fail(error);
  }
}
