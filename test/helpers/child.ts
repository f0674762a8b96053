import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { within } from './bounded.js';

/**
 * A child process whose stdout is read line by line. Every wait is bounded, and `close()`
 * (call it in a finally) kills the process if it is still running.
 */
export class LineChild {
  readonly process: ChildProcessWithoutNullStreams;
  readonly #lines: string[] = [];
  readonly #waiters: ((line: string | null) => void)[] = [];
  #ended = false;
  #stderr = '';
  readonly exited: Promise<number | null>;

  constructor(command: string, args: string[], options: { cwd?: string } = {}) {
    this.process = spawn(command, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.process.once('close', (code) => resolve(code));
      this.process.once('error', () => resolve(null));
    });
    this.process.stderr.on('data', (chunk: Buffer) => {
      if (this.#stderr.length < 64 * 1024) this.#stderr += chunk.toString();
    });
    const lines = createInterface({ input: this.process.stdout });
    lines.on('line', (line) => {
      const waiter = this.#waiters.shift();
      if (waiter) waiter(line);
      else this.#lines.push(line);
    });
    lines.on('close', () => {
      this.#ended = true;
      for (const waiter of this.#waiters.splice(0)) waiter(null);
    });
  }

  /** What the child wrote on stderr so far (for failure messages). */
  get stderr(): string {
    return this.#stderr;
  }

  /** The next stdout line; rejects if none comes within `ms` or stdout ends. */
  async nextLine(ms = 10_000): Promise<string> {
    const held = this.#lines.shift();
    if (held !== undefined) return held;
    const line = this.#ended
      ? null
      : await within(
          new Promise<string | null>((resolve) => this.#waiters.push(resolve)),
          ms,
          `a line from ${this.process.spawnargs.join(' ')}`,
        );
    if (line === null) throw new Error(`child's stdout ended; stderr: ${this.#stderr}`);
    return line;
  }

  /** Waits for the exit code, bounded by `ms`. */
  exitCode(ms = 20_000): Promise<number | null> {
    return within(this.exited, ms, `exit of ${this.process.spawnargs.join(' ')}`);
  }

  /** Kills the child if it still runs and waits for it to be gone. */
  async close(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGKILL');
    }
    await within(this.exited, 5_000, 'child exit after kill').catch(() => undefined);
  }
}

/** Starts one of the Python peers in test/interop/ (paths relative to the repository root). */
export function python(script: string, args: (string | number)[]): LineChild {
  return new LineChild('python3', [`test/interop/${script}`, ...args.map(String)]);
}

/** Reads the "READY <port>" line that the Python peers print once they are bound. */
export async function readyPort(child: LineChild): Promise<number> {
  const line = await child.nextLine();
  const match = /^READY (\d+)$/.exec(line);
  if (!match) throw new Error(`expected "READY <port>", got ${JSON.stringify(line)}`);
  return Number(match[1]);
}

/**
 * The deterministic bulk pattern shared with test/interop/tcp_peer.py:
 * byte i is (i * 7 + floor(i / 65536)) % 251.
 */
export function pattern(offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let k = 0; k < length; k++) {
    const i = offset + k;
    out[k] = (i * 7 + Math.floor(i / 65536)) % 251;
  }
  return out;
}

/** Runs the built `dsock` command (bin/dsock.js) with `args`. */
export function dsock(args: (string | number)[]): LineChild {
  return new LineChild(process.execPath, ['bin/dsock.js', ...args.map(String)]);
}
