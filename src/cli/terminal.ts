import { createInterface, type Interface } from 'node:readline';
import { UsageError } from './usage-error.js';

/** Writes a status or diagnostic line to stderr (stdout carries only received data). */
export function status(text: string): void {
  process.stderr.write(`${text}\n`);
}

/**
 * The lines typed on stdin, one at a time. On a terminal the prompt is shown on stderr; when
 * stdin is a pipe or a file, lines are read as they come. `next()` resolves with null at the end
 * of input (Ctrl+D, or the end of the pipe).
 */
export class InputLines {
  readonly #readline: Interface;
  readonly #lines: string[] = [];
  readonly #waiters: ((line: string | null) => void)[] = [];
  #ended = false;

  readonly #input: NodeJS.ReadStream;

  constructor(input: NodeJS.ReadStream = process.stdin) {
    this.#input = input;
    this.#readline = createInterface({
      input,
      output: input.isTTY ? process.stderr : undefined,
      terminal: input.isTTY,
    });
    this.#readline.on('line', (line) => {
      const waiter = this.#waiters.shift();
      if (waiter) waiter(line);
      else this.#lines.push(line);
    });
    // On a terminal readline takes Ctrl+C for itself; hand it on, so that it ends the command.
    this.#readline.on('SIGINT', () => process.kill(process.pid, 'SIGINT'));
    this.#readline.on('close', () => {
      this.#ended = true;
      for (const waiter of this.#waiters.splice(0)) waiter(null);
    });
  }

  /** True when stdin is a terminal. */
  get interactive(): boolean {
    return this.#input.isTTY === true;
  }

  /** The next line, or null at the end of input or once `signal` aborts. */
  next(signal?: AbortSignal): Promise<string | null> {
    const line = this.#lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.#ended || signal?.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter = (value: string | null): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const onAbort = (): void => {
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        resolve(null);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Shows `prompt` (on a terminal; as a status line otherwise) and reads a line. */
  ask(prompt: string, signal?: AbortSignal): Promise<string | null> {
    // On a pipe the question still gets a status line, so that whoever feeds stdin knows.
    process.stderr.write(this.interactive ? prompt : `# ${prompt.trim()} (first line of stdin)\n`);
    return this.next(signal);
  }

  /** Stops reading stdin, so that the process can exit. */
  close(): void {
    this.#readline.close();
  }
}

/**
 * The chat user name: `--name` when given, else asked for on a terminal, else the first line of
 * stdin (so `printf 'Alice\nhi\n' | dsock chat udp ...` works as the Python programs do).
 * Resolves with null when `signal` aborts first (the user gave up: nothing to do).
 */
export async function chatName(
  given: string | undefined,
  input: InputLines,
  signal: AbortSignal,
): Promise<string | null> {
  if (given !== undefined && given.trim() !== '') return given.trim();
  const line = await input.ask('Enter your username to start the chat: ', signal);
  if (line === null && signal.aborted) return null;
  const name = line?.trim();
  if (!name) throw new UsageError('no user name: give --name NAME or type one first');
  return name;
}

/**
 * An AbortSignal that fires on SIGINT or SIGTERM, so that a command ends gracefully instead of
 * being killed. `dispose()` removes the handlers.
 */
export function terminationSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => controller.abort(name);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
