import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { within } from './bounded.js';

/**
 * Python's stdlib `pty.spawn`: runs the command on a new pseudo-terminal and copies the
 * terminal's output to its own stdout, byte for byte, and its own stdin to the terminal.
 */
const PTY_SPAWN = 'import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)';

/**
 * A command running on a pseudo-terminal, as a user would run it: its stdin and stdout are a
 * TTY. Everything it writes to the terminal is collected as raw bytes (the terminal turns "\n"
 * into "\r\n" and echoes what is typed). `close()` (call it in a finally) kills it.
 */
export class TerminalChild {
  readonly process: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;
  readonly #chunks: Buffer[] = [];
  #waiters: (() => void)[] = [];

  constructor(command: string, args: string[]) {
    this.process = spawn('python3', ['-c', PTY_SPAWN, command, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => {
      this.process.once('close', (code) => resolve(code));
      this.process.once('error', () => resolve(null));
    });
    this.process.stdout.on('data', (chunk: Buffer) => {
      this.#chunks.push(chunk);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.process.stdout.once('end', () => {
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** Every byte the terminal showed so far. */
  get output(): Buffer {
    return Buffer.concat(this.#chunks);
  }

  /** Types `text` on the terminal. */
  type(text: string): void {
    this.process.stdin.write(text);
  }

  /** Waits until the terminal's output contains `text` (bytes compared exactly), bounded. */
  async waitFor(text: string | Buffer, ms = 10_000): Promise<void> {
    const needle = typeof text === 'string' ? Buffer.from(text) : text;
    const deadline = performance.now() + ms;
    while (!this.output.includes(needle)) {
      if (this.process.stdout.readableEnded) {
        throw new Error(`terminal output ended before ${JSON.stringify(needle.toString())}`);
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(
          `timed out waiting for ${JSON.stringify(needle.toString())} on the terminal; got ${JSON.stringify(this.output.toString('latin1'))}`,
        );
      }
      await within(
        new Promise<void>((resolve) => this.#waiters.push(resolve)),
        left,
        `terminal output ${JSON.stringify(needle.toString())}`,
      );
    }
  }

  /** Kills the command if it still runs and waits for it to be gone. */
  async close(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGKILL');
    }
    await within(this.exited, 5_000, 'terminal child exit after kill').catch(() => undefined);
  }
}

/** Runs the built `dsock` command (bin/dsock.js) on a pseudo-terminal. */
export function dsockOnTerminal(args: (string | number)[]): TerminalChild {
  return new TerminalChild(process.execPath, ['bin/dsock.js', ...args.map(String)]);
}
