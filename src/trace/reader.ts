import { readFileSync, statSync } from 'node:fs';
import { TraceFileError } from '../errors.js';
import { checkInteger } from '../internal/validate.js';
import { TRACE_FORMAT_VERSION, type TraceEvent } from './trace-event.js';

/** The largest trace file read unless told otherwise: 512 MiB. */
export const DEFAULT_TRACE_READ_MAX_BYTES = 512 * 1024 * 1024;

/** Options of {@link readTrace}. */
export interface ReadTraceOptions {
  /** The largest file read, in bytes (default {@link DEFAULT_TRACE_READ_MAX_BYTES}, 512 MiB). */
  maxBytes?: number | undefined;
}

const NEWLINE = 0x0a;

/**
 * Reads a trace file written by {@link TraceRecorder} (or `dsock --trace FILE`): its events, in
 * the order of the file. Blank lines are skipped, and so is a last line cut short without its
 * newline (a process killed in the middle of a write). Throws {@link TraceFileError} naming the
 * file for a file that is missing or unreadable or too large, and the file and line for a line
 * that is not a trace event: not a JSON object, a field missing or of another type, or a number
 * out of its range (a `v` other than {@link TRACE_FORMAT_VERSION}, a `seq` that is not a whole
 * number from 1, a `pid` or `size` not one from 0, a `wall` beyond the dates a Date holds).
 *
 * @example
 * ```ts
 * import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { readTrace } from 'dsock';
 *
 * const dir = mkdtempSync(join(tmpdir(), 'trace-'));
 * const file = join(dir, 'bad.jsonl');
 * writeFileSync(file, '{"v":1}\n');
 * try {
 *   readTrace(file);
 * } catch (error) {
 *   console.log((error as Error).message.endsWith('bad.jsonl:1: "seq" is missing or not a number')); // true
 * }
 * rmSync(dir, { recursive: true });
 * ```
 */
export function readTrace(file: string, options: ReadTraceOptions = {}): TraceEvent[] {
  const maxBytes = options.maxBytes ?? DEFAULT_TRACE_READ_MAX_BYTES;
  checkInteger('maxBytes', maxBytes, 1, Number.MAX_SAFE_INTEGER);
  let bytes: Buffer;
  try {
    const size = statSync(file).size;
    if (size > maxBytes) {
      throw new TraceFileError(file, undefined, `${size} bytes, more than the ${maxBytes} read`);
    }
    bytes = readFileSync(file);
  } catch (error) {
    if (error instanceof TraceFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : `cannot read the trace (${code ?? String(error)})`;
    throw new TraceFileError(file, undefined, reason, { cause: error });
  }
  // Line by line through the file's bytes: each line is decoded on its own (a newline byte is
  // never inside a UTF-8 sequence), and no text of the whole file is made beside them.
  const events: TraceEvent[] = [];
  let number = 0;
  for (let start = 0; start < bytes.length;) {
    const end = bytes.indexOf(NEWLINE, start);
    const torn = end < 0; // no newline after it: a write cut short
    const line = bytes.toString('utf8', start, torn ? bytes.length : end);
    start = torn ? bytes.length : end + 1;
    number++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (torn) break;
      throw new TraceFileError(file, number, 'not JSON: a trace holds one JSON object a line');
    }
    const problem = invalidEvent(value);
    if (problem !== undefined) {
      if (torn) break;
      throw new TraceFileError(file, number, problem);
    }
    events.push(value as TraceEvent);
  }
  return events;
}

/**
 * The widest wall-clock time a Date holds, in ms either side of the epoch: a wall time past it
 * has no date to show.
 */
const WALL_MAX = 8.64e15;

/** Why `value` is not a trace event, or undefined when it is one. */
function invalidEvent(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'not a JSON object';
  }
  // Each field by name, not by a loop over names: a hundred thousand lines read the same
  // few properties.
  const r = value as Record<string, unknown>;
  return (
    notVersion(r.v) ??
    notCount(r.seq, 'seq', 1) ??
    notNumber(r.mono, 'mono') ??
    notWall(r.wall) ??
    notCount(r.pid, 'pid', 0) ??
    notString(r.command, 'command') ??
    notString(r.event, 'event') ??
    notOptionalString(r.name, 'name') ??
    notOptionalString(r.local, 'local') ??
    notOptionalString(r.remote, 'remote') ??
    notOptionalString(r.digest, 'digest') ??
    notOptionalString(r.preview, 'preview') ??
    notOptionalString(r.detail, 'detail') ??
    (r.size === undefined ? undefined : notCount(r.size, 'size', 0))
  );
}

function notNumber(value: unknown, key: string): string | undefined {
  return typeof value === 'number' && Number.isFinite(value)
    ? undefined
    : `"${key}" is missing or not a number`;
}

function notVersion(value: unknown): string | undefined {
  return (
    notNumber(value, 'v') ??
    (value === TRACE_FORMAT_VERSION
      ? undefined
      : `"v" is ${String(value)}: this dsock reads trace format ${TRACE_FORMAT_VERSION}`)
  );
}

/** A whole number from `min` (a count, a process id, a size in bytes). */
function notCount(value: unknown, key: string, min: number): string | undefined {
  return (
    notNumber(value, key) ??
    (Number.isSafeInteger(value) && (value as number) >= min
      ? undefined
      : `"${key}" is ${String(value)}, not a whole number from ${min}`)
  );
}

function notWall(value: unknown): string | undefined {
  return (
    notNumber(value, 'wall') ??
    (Math.abs(value as number) <= WALL_MAX
      ? undefined
      : `"wall" is ${String(value)}, outside the range of dates (±8.64e15 ms from 1970)`)
  );
}

function notString(value: unknown, key: string): string | undefined {
  return typeof value === 'string' ? undefined : `"${key}" is missing or not a string`;
}

function notOptionalString(value: unknown, key: string): string | undefined {
  return value === undefined || typeof value === 'string' ? undefined : `"${key}" is not a string`;
}
