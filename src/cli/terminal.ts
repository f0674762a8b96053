import { createInterface, type Interface } from 'node:readline';
import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { UsageError } from './usage-error.js';

/**
 * Writes a status or diagnostic line to stderr (stdout carries only received data). Status lines
 * may quote what a peer sent (a name, an error text), so on a terminal they are made
 * {@link harmless} as received text is.
 */
export function status(text: string): void {
  process.stderr.write(`${process.stderr.isTTY ? harmless(text) : text}\n`);
}

/**
 * Control characters a terminal would act on: C0 except tab and newline, DEL, C1 (U+0080-U+009F,
 * where U+009B starts a sequence as ESC [ does), and the bidirectional overrides and isolates
 * that make text read differently from what it is.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function escapeControl(char: string): string {
  const code = char.charCodeAt(0);
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every control character a terminal would act on shown as an escape (`\x1b`,
 * `\x07`, `\x00`, `\u202e`): text from the network cannot set the window title, clear the
 * screen or ring the bell. Newline and tab stay as they are.
 */
export function harmless(text: string): string {
  return text.replace(TERMINAL_CONTROLS, escapeControl);
}

/**
 * Writes text received from the network to stdout, followed by a newline. On a terminal, control
 * characters are shown escaped (see {@link harmless}); on a pipe or a file the bytes stay exactly
 * as received.
 */
export function showReceived(text: string): void {
  process.stdout.write(`${process.stdout.isTTY ? harmless(text) : text}\n`);
}

/**
 * A stream for bytes from the network that go to stdout: stdout itself on a pipe or a file (the
 * bytes unchanged), and on a terminal a stream that decodes them as UTF-8 (a character split
 * across chunks stays whole) and shows control characters escaped, as {@link harmless} does.
 */
export function receivedOutput(): Writable {
  if (!process.stdout.isTTY) return process.stdout;
  const decoder = new StringDecoder('utf8');
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = harmless(decoder.write(chunk));
      if (text === '' || process.stdout.write(text)) done();
      else process.stdout.once('drain', () => done());
    },
    final(done) {
      const rest = harmless(decoder.end());
      if (rest !== '') process.stdout.write(rest);
      done();
    },
  });
}

/** Lines read from stdin and not yet used, before reading pauses. */
const MAX_WAITING_LINES = 1024;

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
  #paused = false;

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
      // Lines typed (or piped) faster than the command uses them wait in the pipe, not here.
      if (this.#lines.length >= MAX_WAITING_LINES && !this.#paused) {
        this.#paused = true;
        this.#readline.pause();
      }
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
    if (this.#paused && this.#lines.length < MAX_WAITING_LINES / 2 && !this.#ended) {
      this.#paused = false;
      this.#readline.resume();
    }
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
 * How long a command may take to end after SIGINT or SIGTERM, in milliseconds, before it is
 * ended anyway: whatever is still pending then (a peer that does not read, an acknowledgement
 * that does not come) is abandoned.
 */
export const SIGNAL_GRACE_MS = 800;

/** Options of {@link terminationSignal}. */
export interface TerminationOptions {
  /** The exit status when the command has to be ended after the grace period (default 0). */
  exitStatus?: number;
  /** The grace period in milliseconds (default {@link SIGNAL_GRACE_MS}). */
  grace?: number;
}

/**
 * An AbortSignal that fires on SIGINT or SIGTERM, so that a command ends gracefully instead of
 * being killed. Whatever the command still waits for, the process exits `grace` ms after the
 * signal (with `exitStatus`), and at once on a second signal: no peer can keep it running.
 * `dispose()` removes the handlers; the deadline of a signal already received stays.
 */
export function terminationSignal(options: TerminationOptions = {}): {
  signal: AbortSignal;
  dispose(): void;
} {
  const exitStatus = options.exitStatus ?? 0;
  const grace = options.grace ?? SIGNAL_GRACE_MS;
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(exitStatus);
    controller.abort(name);
    // Unreferenced: a command that ends in time exits as usual, without waiting for this.
    setTimeout(() => process.exit(exitStatus), grace).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
