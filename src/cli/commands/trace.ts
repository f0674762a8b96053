import { writeFileSync } from 'node:fs';
import { TraceFileError } from '../../errors.js';
import { mergeTraces } from '../../trace/merge.js';
import { readTrace } from '../../trace/reader.js';
import { renderHtml } from '../../trace/render-html.js';
import { renderMermaid } from '../../trace/render-mermaid.js';
import { renderSvg } from '../../trace/render-svg.js';
import { renderText } from '../../trace/render-text.js';
import type { Command } from '../command.js';
import { parseCommandLine, stringOption } from '../args.js';
import { UsageError } from '../usage-error.js';

const FORMATS = ['mermaid', 'svg', 'html', 'text'] as const;
type Format = (typeof FORMATS)[number];

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
  -o, --output OUT   write to OUT instead of stdout

Example:
  dsock trace view alice.jsonl bob.jsonl relay.jsonl
  dsock trace view *.jsonl --format html -o run.html
`,
  run(args) {
    return Promise.resolve(viewTraces(args));
  },
};

/** Reads, merges and renders the traces a command line names; returns the exit status. */
function viewTraces(args: string[]): number {
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
  const text =
    format === 'svg'
      ? renderSvg(diagram)
      : format === 'html'
        ? renderHtml(diagram, `dsock trace: ${positionals.join(' ')}`)
        : format === 'text'
          ? renderText(diagram)
          : renderMermaid(diagram);
  if (output === undefined) {
    process.stdout.write(text);
    return 0;
  }
  try {
    writeFileSync(output, text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new TraceFileError(output, undefined, `cannot write (${code})`, { cause: error });
  }
  return 0;
}
