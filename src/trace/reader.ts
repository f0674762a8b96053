import { readFileSync, statSync } from 'node:fs';
import { TraceFileError } from '../errors.js';
import { checkInteger } from '../internal/validate.js';
import type { TraceEvent } from './trace-event.js';

/** The largest trace file read unless told otherwise: 512 MiB. */
export const DEFAULT_TRACE_READ_MAX_BYTES = 512 * 1024 * 1024;

/** Options of {@link readTrace}. */
export interface ReadTraceOptions {
  /** The largest file read, in bytes (default {@link DEFAULT_TRACE_READ_MAX_BYTES}, 512 MiB). */
  maxBytes?: number | undefined;
}

const NUMBERS = ['v', 'seq', 'mono', 'wall', 'pid'] as const;
const STRINGS = ['command', 'event'] as const;
const OPTIONAL_STRINGS = ['name', 'local', 'remote', 'digest', 'preview', 'detail'] as const;

/**
 * Reads a trace file written by {@link TraceRecorder} (or `dsock --trace FILE`): its events, in
 * the order of the file. Blank lines are skipped, and so is a last line cut short without its
 * newline (a process killed in the middle of a write). Throws {@link TraceFileError} naming the
 * file for a file that is missing or unreadable or too large, and the file and line for a line
 * that is not a trace event.
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
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > maxBytes) {
      throw new TraceFileError(file, undefined, `${size} bytes, more than the ${maxBytes} read`);
    }
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof TraceFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : `cannot read the trace (${code ?? String(error)})`;
    throw new TraceFileError(file, undefined, reason, { cause: error });
  }
  // Line by line through the one string: no array of every line beside it.
  const events: TraceEvent[] = [];
  let number = 0;
  for (let start = 0; start < text.length;) {
    const end = text.indexOf('\n', start);
    const torn = end < 0; // no newline after it: a write cut short
    const line = text.slice(start, torn ? text.length : end);
    start = torn ? text.length : end + 1;
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

/** Why `value` is not a trace event, or undefined when it is one. */
function invalidEvent(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'not a JSON object';
  }
  const record = value as Record<string, unknown>;
  for (const key of NUMBERS) {
    if (typeof record[key] !== 'number' || !Number.isFinite(record[key])) {
      return `"${key}" is missing or not a number`;
    }
  }
  for (const key of STRINGS) {
    if (typeof record[key] !== 'string') return `"${key}" is missing or not a string`;
  }
  for (const key of OPTIONAL_STRINGS) {
    if (record[key] !== undefined && typeof record[key] !== 'string') {
      return `"${key}" is not a string`;
    }
  }
  if (record.size !== undefined && typeof record.size !== 'number') return '"size" is not a number';
  return undefined;
}
