import type { TraceRecorder } from '../trace/recorder.js';
import { UsageError } from './usage-error.js';

/** The help every command prints after its own. */
export const TRACE_HELP = `
Every command also takes:
  --trace FILE   write each socket event to FILE, one JSON object a line, as it happens
                 (see dsock trace view and docs/trace.md)
`;

/**
 * Takes `--trace FILE` (or `--trace=FILE`) out of a command's arguments, before a `--`: every
 * command has it, so it is handled here once rather than by each command's parser.
 */
export function takeTraceOption(args: string[]): { args: string[]; file: string | undefined } {
  const rest: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as string;
    if (word === '--') {
      rest.push(...args.slice(i));
      break;
    }
    let value: string | undefined;
    if (word === '--trace') {
      value = args[++i];
      if (value === undefined || value === '') throw new UsageError('option --trace needs a FILE');
    } else if (word.startsWith('--trace=')) {
      value = word.slice('--trace='.length);
      if (value === '') throw new UsageError('option --trace needs a FILE');
    } else {
      rest.push(word);
      continue;
    }
    if (file !== undefined) throw new UsageError('option --trace given twice');
    file = value;
  }
  return { args: rest, file };
}

/** The `--name` (or `-n`) a command line gives, to name its process in a trace. */
function nameIn(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const word = args[i] as string;
    if (word === '--') break;
    if (word === '--name' || word === '-n') return args[i + 1];
    if (word.startsWith('--name=')) return word.slice('--name='.length);
  }
  return undefined;
}

/**
 * Starts recording for `dsock WORDS ARGS --trace FILE`. The file is created at the first event
 * (or when the command ends), so that a command line refused as wrong leaves none.
 */
export async function startTrace(
  file: string,
  words: string[],
  args: string[],
): Promise<TraceRecorder> {
  // Loaded only for --trace: a command without it starts without the recorder's modules (and
  // node:crypto).
  const { TraceRecorder } = await import('../trace/recorder.js');
  return TraceRecorder.open(file, {
    process: { command: words.join(' '), name: nameIn(args) },
    lazy: true,
  });
}
