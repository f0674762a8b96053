import { accessSync, closeSync, constants, existsSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { TraceFileError } from '../errors.js';
import { checkInteger } from '../internal/validate.js';
import { subscribeTrace } from './subscribe.js';
import type { TraceEvent, TraceProcess } from './trace-event.js';

/** The largest trace file a recorder writes unless told otherwise: 256 MiB. */
export const DEFAULT_TRACE_MAX_BYTES = 256 * 1024 * 1024;

/** Options of {@link TraceRecorder.open}. */
export interface TraceRecorderOptions {
  /** How the process is named in its events (default: `node`, this pid, no name). */
  process?: Partial<TraceProcess> | undefined;
  /**
   * The most bytes written (default {@link DEFAULT_TRACE_MAX_BYTES}, 256 MiB). The event that
   * would pass it is replaced by one `trace:truncated` line, and nothing more is written.
   */
  maxBytes?: number | undefined;
  /**
   * Creates the file at the first event rather than at once (default false), so that a
   * program that stops before doing anything ({@link TraceRecorder.cancel}) leaves no file.
   * The file's directory is still checked at once.
   */
  lazy?: boolean | undefined;
}

/**
 * Writes every dsock event of this process to a file, one JSON object a line (JSON Lines),
 * from {@link TraceRecorder.open} to {@link TraceRecorder.close}. Each line is written with
 * one synchronous write before the send or receive it tells of goes on: a process killed with
 * `kill -9` leaves every event up to the one it was in, each line whole but perhaps the last.
 * Writing costs a system call per event, the price of that guarantee; a program that nobody
 * traces pays nothing.
 *
 * @example
 * ```ts
 * import { mkdtempSync, rmSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { DatagramSocket, readTrace, TraceRecorder } from 'dsock';
 *
 * const dir = mkdtempSync(join(tmpdir(), 'trace-'));
 * const file = join(dir, 'run.jsonl');
 * const recorder = TraceRecorder.open(file, { process: { command: 'example' } });
 * const socket = await DatagramSocket.bind('127.0.0.1:0');
 * await socket.sendTo('ping', socket.localEndpoint);
 * await socket.recvFrom(100, { timeout: 1000 });
 * await socket.close();
 * recorder.close();
 * console.log(readTrace(file).map((e) => e.event).join(' ')); // datagram:send datagram:receive
 * rmSync(dir, { recursive: true });
 * ```
 */
export class TraceRecorder {
  readonly #file: string;
  readonly #maxBytes: number;
  #fd: number | undefined;
  #written = 0;
  #events = 0;
  #stop: (() => void) | undefined;
  #error: TraceFileError | undefined;

  private constructor(file: string, fd: number | undefined, options: TraceRecorderOptions) {
    this.#file = file;
    this.#fd = fd;
    this.#maxBytes = options.maxBytes ?? DEFAULT_TRACE_MAX_BYTES;
    this.#stop = subscribeTrace((event) => this.#write(event), { process: options.process });
  }

  /**
   * Creates (or empties) `file` and starts recording. Throws {@link TraceFileError} when the
   * file cannot be opened for writing, and InvalidArgumentError for a bad `maxBytes`.
   */
  static open(file: string, options: TraceRecorderOptions = {}): TraceRecorder {
    if (options.maxBytes !== undefined) {
      checkInteger('maxBytes', options.maxBytes, 1024, Number.MAX_SAFE_INTEGER);
    }
    if (options.lazy === true) {
      try {
        accessSync(dirname(file), constants.W_OK);
        if (existsSync(file)) accessSync(file, constants.W_OK);
      } catch (error) {
        throw writeError(file, error);
      }
      return new TraceRecorder(file, undefined, options);
    }
    return new TraceRecorder(file, openFile(file), options);
  }

  /** The file being written. */
  get file(): string {
    return this.#file;
  }

  /** The events written so far. */
  get events(): number {
    return this.#events;
  }

  /** The error that stopped the recording early (a full disk), if one did. */
  get error(): TraceFileError | undefined {
    return this.#error;
  }

  /**
   * Stops recording and closes the file; idempotent. A lazy recorder that saw no event creates
   * the file now, empty: a trace of nothing. Throws {@link TraceFileError} if it cannot.
   */
  close(): void {
    const never = this.#stop !== undefined && this.#fd === undefined && this.#events === 0;
    this.cancel();
    if (never && this.#error === undefined) closeSync(openFile(this.#file));
  }

  /** Stops recording and closes the file, creating none if a lazy recorder has not yet. */
  cancel(): void {
    this.#stop?.();
    this.#stop = undefined;
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #write(event: TraceEvent): void {
    if (this.#stop === undefined) return;
    if (this.#fd === undefined) {
      try {
        this.#fd = openFile(this.#file);
      } catch (error) {
        this.#error = writeError(this.#file, error);
        this.cancel();
        return;
      }
    }
    const fd = this.#fd;
    let line = `${JSON.stringify(event)}\n`;
    let last = false;
    if (this.#written + Buffer.byteLength(line) > this.#maxBytes) {
      const { v, seq, mono, wall, pid, command } = event;
      line = `${JSON.stringify({ v, seq, mono, wall, pid, command, event: 'trace:truncated' })}\n`;
      last = true;
    }
    try {
      this.#written += writeSync(fd, line);
      this.#events++;
    } catch (error) {
      this.#error = writeError(this.#file, error);
      last = true;
    }
    if (last) {
      // Past the cap or after a failed write nothing more is written; the file stays open
      // until close() so that the caller decides when.
      this.#stop?.();
      this.#stop = undefined;
    }
  }
}

function openFile(file: string): number {
  try {
    return openSync(file, 'w');
  } catch (error) {
    throw writeError(file, error);
  }
}

function writeError(file: string, error: unknown): TraceFileError {
  const code = (error as NodeJS.ErrnoException).code ?? String(error);
  return new TraceFileError(file, undefined, `cannot write the trace (${code})`, { cause: error });
}
