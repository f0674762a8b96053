import type { Writable } from 'node:stream';
import { TraceFileError } from '../../errors.js';
import { mergeTraces } from '../../trace/merge.js';
import { readTrace } from '../../trace/reader.js';
import { htmlChunks } from '../../trace/render-html.js';
import { mermaidChunks } from '../../trace/render-mermaid.js';
import { layoutOf, svgChunks } from '../../trace/render-svg.js';
import { textChunks } from '../../trace/render-text.js';
import type { Command } from '../command.js';
import { parseCommandLine, stringOption } from '../args.js';
import { replaceFile } from '../replace-file.js';
import { terminationSignal } from '../terminal.js';
import { UsageError } from '../usage-error.js';

const FORMATS = ['mermaid', 'svg', 'html', 'text'] as const;
type Format = (typeof FORMATS)[number];
/** The exit status after Ctrl+C (or SIGTERM), as a shell reports SIGINT. */
const INTERRUPTED = 130;

export const traceViewCommand: Command = {
  words: ['trace', 'view'],
  help: `Usage: dsock trace view FILE... [--format mermaid|svg|html|text] [-o, --output OUT]

Reads the trace files that dsock --trace FILE wrote (one per process, from one host or
several), merges them in causal order (a receive always after its send, whatever the clocks
say) and draws one lifeline per process and one arrow per datagram or message. A datagram
sent and received by no traced process, or dropped by a traced chaos relay, is a lost arrow;
duplicates and retransmissions are marked.

Options:
  --format F         mermaid (default: a sequenceDiagram), svg (a picture), html (a page
                     with zoom, details on hover and filters, for long traces) or text
  -o, --output OUT   write to OUT instead of stdout (OUT is replaced only once the whole
                     diagram is written: a failure or Ctrl+C leaves it as it was)

Example:
  dsock trace view alice.jsonl bob.jsonl relay.jsonl
  dsock trace view *.jsonl --format html -o run.html
`,
  run(args) {
    return viewTraces(args);
  },
};

/** Reads, merges and renders the traces a command line names; resolves with the exit status. */
async function viewTraces(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(args, {
    format: { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  const format = (stringOption(values.format) ?? 'mermaid') as Format;
  if (!FORMATS.includes(format)) {
    throw new UsageError(
      `invalid --format "${String(values.format)}": expected one of ${FORMATS.join(', ')}`,
    );
  }
  if (positionals.length === 0) throw new UsageError('missing FILE');
  const output = stringOption(values.output);
  const diagram = mergeTraces(positionals.map((file) => readTrace(file)));
  // The picture of a long trace is tens of megabytes: it is written as it is made, a chunk at
  // a time, never held whole.
  const chunks =
    format === 'svg'
      ? svgChunks(diagram, layoutOf(diagram))
      : format === 'html'
        ? htmlChunks(diagram, `dsock trace: ${positionals.join(' ')}`)
        : format === 'text'
          ? textChunks(diagram)
          : mermaidChunks(diagram);
  if (output === undefined) {
    await writeToStream(process.stdout, chunks);
    return 0;
  }
  // OUT is the whole diagram or as it was: a failure midway, or Ctrl+C, leaves no part of one.
  const termination = terminationSignal({ exitStatus: INTERRUPTED });
  try {
    await replaceFile(
      output,
      chunks,
      (error) => {
        const code = (error as NodeJS.ErrnoException).code ?? String(error);
        return new TraceFileError(output, undefined, `cannot write (${code})`, { cause: error });
      },
      termination.signal,
    );
  } catch (error) {
    if (!termination.signal.aborted) throw error;
    process.stderr.write(`dsock trace view: interrupted: ${output} left as it was\n`);
    return INTERRUPTED;
  } finally {
    termination.dispose();
  }
  return 0;
}

/**
 * Writes `chunks` to `stream`, waiting for it to drain whenever its buffer is full; stops when
 * the stream is closed or fails (a reader that went away), rather than waiting for ever.
 */
async function writeToStream(stream: Writable, chunks: Iterable<string>): Promise<void> {
  for (const chunk of chunks) {
    if (stream.destroyed) return;
    if (stream.write(chunk)) continue;
    await new Promise<void>((drained) => {
      const done = (): void => {
        stream.off('drain', done);
        stream.off('close', done);
        stream.off('error', done);
        drained();
      };
      stream.on('drain', done);
      stream.on('close', done);
      stream.on('error', done);
    });
  }
}
