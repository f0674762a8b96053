import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { PeerMessage } from './peer-protocol.js';

/**
 * One end of a contender run as a program of its own (a Python script, a C program). It
 * receives its parameters as one JSON argument after {@link command}, then speaks the same
 * messages as a worker peer, one JSON object per line on its stdin and stdout. Timestamps
 * (fields ending in `Ns`) travel as decimal strings of CLOCK_MONOTONIC nanoseconds, the clock
 * `process.hrtime` reads, and arrive here as bigints. The end of its stdin tells the program
 * that the coordinator is gone.
 */
export interface ProcessPeerSpec {
  kind: 'process';
  /** The program and its arguments, asked for when the peer starts (it may be built first). */
  command(): readonly string[];
}

/** What the coordinator's {@link PeerHandle} needs of a running peer: a worker or a process. */
export interface PeerChannel {
  postMessage(message: PeerMessage): void;
  on(event: 'message', listener: (message: PeerMessage) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  once(event: 'exit', listener: (code: number) => void): this;
  terminate(): Promise<unknown>;
}

/** The last part of a program's stderr kept to explain its failure. */
const STDERR_TAIL = 2000;

/**
 * A peer program, pinned with `taskset -c` to `cpu` when one is given (the whole process,
 * as a worker peer's thread is pinned). Its failure (a non-zero exit, a line that is not a
 * message) is an `error` event carrying the end of its stderr, followed by `exit`.
 */
export class PeerProcess extends EventEmitter implements PeerChannel {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #closed: Promise<number>;
  #stderr = '';
  #pending = '';
  #ended = false;
  #killed = false;

  constructor(spec: ProcessPeerSpec, params: unknown, cpu: number | undefined) {
    super();
    const command = [...spec.command(), JSON.stringify(params)];
    if (cpu !== undefined) command.unshift('taskset', '-c', String(cpu));
    const [program, ...args] = command as [string, ...string[]];
    const child = spawn(program, args, { stdio: 'pipe' });
    this.#child = child;
    // A peer that has ended can no longer read; its exit says why.
    child.stdin.on('error', () => undefined);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => this.#receive(text));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      this.#stderr = (this.#stderr + text).slice(-STDERR_TAIL);
    });
    this.#closed = new Promise<number>((resolve) => {
      child.once('error', (error) => {
        this.emit('error', new Error(`cannot start ${program}: ${error.message}`));
        this.#end(-1);
        resolve(-1);
      });
      // 'close' comes after stdout has ended, so every message has been delivered by then.
      child.once('close', (code, signal) => {
        if (code !== 0 && !this.#killed) {
          // The last lines say what went wrong (the exception, after a Python traceback).
          const last = this.#stderr.trim().split('\n').slice(-3).join(' / ');
          this.emit('error', new Error(`exit ${code ?? signal}: ${last || 'nothing on stderr'}`));
        }
        this.#end(code ?? -1);
        resolve(code ?? -1);
      });
    });
  }

  postMessage(message: PeerMessage): void {
    if (!this.#ended) this.#child.stdin.write(`${JSON.stringify(message, toWire)}\n`);
  }

  /** Kills the program; resolves with its exit code once it has gone. */
  terminate(): Promise<number> {
    if (!this.#ended) {
      this.#killed = true;
      this.#child.kill('SIGKILL');
    }
    return this.#closed;
  }

  #receive(text: string): void {
    const lines = (this.#pending + text).split('\n');
    this.#pending = lines.pop() ?? '';
    for (const line of lines) {
      let message: unknown;
      try {
        message = JSON.parse(line, fromWire);
      } catch {
        this.emit('error', new Error(`wrote a line that is not JSON: ${line.slice(0, 200)}`));
        continue;
      }
      if (typeof message !== 'object' || message === null || !('type' in message)) {
        this.emit('error', new Error(`wrote a line that is not a message: ${line.slice(0, 200)}`));
        continue;
      }
      this.emit('message', message);
    }
  }

  #end(code: number): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#child.stdin.destroy();
    this.emit('exit', code);
  }
}

function toWire(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? String(value) : value;
}

function fromWire(key: string, value: unknown): unknown {
  return key.endsWith('Ns') && typeof value === 'string' && /^\d+$/.test(value)
    ? BigInt(value)
    : value;
}
