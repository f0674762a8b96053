import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { within } from './bounded.js';

/** Lines of one output stream of a child, awaited one at a time or by pattern. */
class LineQueue {
  readonly all: string[] = [];
  #read = 0;
  readonly #waiters: (() => void)[] = [];
  ended = false;

  constructor(stream: NodeJS.ReadableStream) {
    const lines = createInterface({ input: stream });
    lines.on('line', (line) => {
      this.all.push(line);
      this.#wake();
    });
    lines.on('close', () => {
      this.ended = true;
      this.#wake();
    });
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  /** Resolves at the next line or the end of the stream. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The next unread line, if there is one. */
  shift(): string | undefined {
    return this.#read < this.all.length ? this.all[this.#read++] : undefined;
  }

  /** The first unread line matching `pattern`, skipping the unread lines before it. */
  take(pattern: RegExp): RegExpExecArray | undefined {
    while (this.#read < this.all.length) {
      const match = pattern.exec(this.all[this.#read++] as string);
      if (match) return match;
    }
    return undefined;
  }
}

/**
 * A child process whose stdout and stderr are read line by line. Every wait is bounded, and
 * `close()` (call it in a finally) kills the process if it is still running.
 */
export class LineChild {
  readonly process: ChildProcessWithoutNullStreams;
  readonly #out: LineQueue;
  readonly #err: LineQueue;
  readonly exited: Promise<number | null>;

  /** Started as the leader of its own process group: close() kills the whole group. */
  readonly #group: boolean;
  /** Why the child could not be started, if it could not. */
  #spawnError: Error | undefined;

  /**
   * `group`: start the child in a process group of its own, so that close() also kills what
   * it started (a browser's helper processes). `env`: variables set for it, beside this
   * process's.
   */
  constructor(
    command: string,
    args: string[],
    options: { cwd?: string; group?: boolean; env?: Record<string, string> } = {},
  ) {
    this.#group = options.group ?? false;
    this.process = spawn(command, args, {
      cwd: options.cwd,
      env: options.env && { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: this.#group,
    });
    this.exited = new Promise((resolve) => {
      this.process.once('close', (code) => resolve(code));
      this.process.once('error', (error) => {
        // A child that could not be started: its streams end at once, and what went wrong is
        // only here, so the failure messages below name it.
        this.#spawnError = error;
        resolve(null);
      });
    });
    this.#out = new LineQueue(this.process.stdout);
    this.#err = new LineQueue(this.process.stderr);
  }

  get #label(): string {
    return this.process.spawnargs.slice(1).join(' ');
  }

  /** Everything the child wrote on stdout / stderr so far, as lines. */
  get stdoutLines(): string[] {
    return this.#out.all;
  }

  get stderrLines(): string[] {
    return this.#err.all;
  }

  /** What the child wrote on stderr so far (for failure messages). */
  get stderr(): string {
    return this.#err.all.join('\n');
  }

  async #await(
    queue: LineQueue,
    pick: () => string | RegExpExecArray | undefined,
    what: string,
    ms: number,
  ) {
    const deadline = performance.now() + ms;
    for (;;) {
      const found = pick();
      if (found !== undefined) return found;
      if (queue.ended) {
        // stderr may end a little after stdout: read all of it, boundedly, before reporting.
        const until = performance.now() + 1_000;
        while (!this.#err.ended && performance.now() < until) {
          await within(this.#err.changed(), until - performance.now(), 'stderr').catch(
            () => undefined,
          );
        }
        const failed = this.#spawnError ? ` (it could not be started: ${this.#spawnError})` : '';
        throw new Error(
          `${this.#label} ended its output before ${what}${failed}; stderr:\n${this.stderr}`,
        );
      }
      const left = deadline - performance.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${what} from ${this.#label}; stderr:\n${this.stderr}`,
        );
      await within(queue.changed(), left, `${what} from ${this.#label}; stderr:\n${this.stderr}`);
    }
  }

  /** The next stdout line; rejects if none comes within `ms` or stdout ends. */
  async nextLine(ms = 10_000): Promise<string> {
    return (await this.#await(this.#out, () => this.#out.shift(), 'a line', ms)) as string;
  }

  /** The next stdout line matching `pattern` (earlier unread lines are skipped). */
  async stdoutMatch(pattern: RegExp, ms = 10_000): Promise<RegExpExecArray> {
    return (await this.#await(
      this.#out,
      () => this.#out.take(pattern),
      `stdout ${pattern}`,
      ms,
    )) as RegExpExecArray;
  }

  /** The next stderr line matching `pattern` (earlier unread lines are skipped). */
  async stderrMatch(pattern: RegExp, ms = 10_000): Promise<RegExpExecArray> {
    return (await this.#await(
      this.#err,
      () => this.#err.take(pattern),
      `stderr ${pattern}`,
      ms,
    )) as RegExpExecArray;
  }

  /**
   * Resolves once `check` holds for everything the child wrote on stdout so far (lines are not
   * consumed: other waits still see them).
   */
  async untilStdout(check: (lines: string[]) => boolean, what: string, ms = 10_000): Promise<void> {
    await this.#await(this.#out, () => (check(this.#out.all) ? 'yes' : undefined), what, ms);
  }

  /** Writes `text` to the child's stdin. */
  write(text: string | Uint8Array): void {
    this.process.stdin.write(text);
  }

  /** Ends the child's stdin (Ctrl+D). */
  endInput(): void {
    this.process.stdin.end();
  }

  /** Waits for the exit code, bounded by `ms`. */
  exitCode(ms = 20_000): Promise<number | null> {
    return within(this.exited, ms, `exit of ${this.#label}; stderr:\n${this.stderr}`);
  }

  /** Kills the child (and its process group, if it has one) and waits for it to be gone. */
  async close(): Promise<void> {
    if (this.#group && this.process.pid !== undefined) {
      try {
        process.kill(-this.process.pid, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    } else if (this.process.exitCode === null && this.process.signalCode === null) {
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

/** Runs the built `dsock` command (bin/dsock.js) with `args`, and `env` set for it. */
export function dsock(args: (string | number)[], env?: Record<string, string>): LineChild {
  return new LineChild(process.execPath, ['bin/dsock.js', ...args.map(String)], { env });
}

/** Kills and waits for every child in `children` (for a finally). */
export async function closeAll(children: LineChild[]): Promise<void> {
  await Promise.all(children.map((c) => c.close()));
}
