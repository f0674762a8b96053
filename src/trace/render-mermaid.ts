import { CHUNK_CHARS, joinChunks } from './chunks.js';
import { escapeMermaid, mermaidId } from './escape.js';
import { arrowLabel, noteLabel } from './labels.js';
import type { DiagramArrow, DiagramNote, SpaceTimeDiagram } from './diagram.js';

/**
 * The diagram as a Mermaid `sequenceDiagram`: one participant per lifeline, one message per
 * arrow at the moment it was sent (`->>`, or `-x` for a lost one), notes for the other
 * events. Every name and payload preview is written with Mermaid's entity codes, so that no
 * peer-chosen text can end a label or start a statement.
 *
 * @example
 * ```ts
 * import { mergeTraces, renderMermaid, type TraceEvent } from 'dsock';
 *
 * const send: TraceEvent = {
 *   v: 1, seq: 1, mono: 1, wall: 1, pid: 1, command: 'demo', name: 'alice',
 *   event: 'datagram:send', local: '127.0.0.1:1', remote: '127.0.0.1:2',
 *   size: 2, digest: 'abc', preview: 'hi',
 * };
 * console.log(renderMermaid(mergeTraces([[send]])).split('\n')[3]?.trim()); // p0-xp1: #34;hi#34; 2 B (lost)
 * ```
 */
export function renderMermaid(diagram: SpaceTimeDiagram): string {
  return joinChunks(mermaidChunks(diagram));
}

/**
 * The diagram of {@link renderMermaid} in chunks of about {@link CHUNK_CHARS} characters: the
 * arrows (at their send's row, else their receive's) and the notes in row order, an arrow before
 * a note of the same row.
 */
export function* mermaidChunks(diagram: SpaceTimeDiagram): Generator<string, void, undefined> {
  let text = 'sequenceDiagram';
  for (const line of diagram.lifelines) {
    text += `\n  participant ${mermaidId(line.index)} as ${escapeMermaid(line.label)}`;
  }
  const { arrows, notes } = diagram;
  const arrowOrder = rowOrder(arrows.map(arrowRow));
  const noteOrder = rowOrder(notes.map((n) => n.row));
  let a = 0;
  let n = 0;
  while (a < arrowOrder.length || n < noteOrder.length) {
    const arrow = arrows[arrowOrder[a] ?? -1];
    const note = notes[noteOrder[n] ?? -1];
    if (arrow !== undefined && (note === undefined || arrowRow(arrow) <= note.row)) {
      text += arrowLine(arrow);
      a++;
    } else {
      text += noteLine(note as DiagramNote);
      n++;
    }
    if (text.length >= CHUNK_CHARS) {
      yield text;
      text = '';
    }
  }
  yield `${text}\n`;
}

function arrowRow(arrow: DiagramArrow): number {
  return arrow.sendRow ?? arrow.receiveRow ?? 0;
}

/**
 * The indexes of `rows` in ascending row order, equal rows in their given order. A merged
 * diagram lists arrows and notes in row order already: then there is nothing to sort.
 */
function rowOrder(rows: number[]): Uint32Array | number[] {
  let sorted = true;
  for (let i = 1; i < rows.length && sorted; i++) {
    sorted = (rows[i - 1] as number) <= (rows[i] as number);
  }
  const order = new Uint32Array(rows.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  if (sorted) return order;
  return [...order].sort((x, y) => (rows[x] as number) - (rows[y] as number) || x - y);
}

function arrowLine(arrow: DiagramArrow): string {
  const shape = arrow.lost ? '-x' : '->>';
  return `\n  ${mermaidId(arrow.from)}${shape}${mermaidId(arrow.to)}: ${escapeMermaid(arrowLabel(arrow))}`;
}

function noteLine(note: DiagramNote): string {
  return `\n  Note over ${mermaidId(note.lifeline)}: ${escapeMermaid(noteLabel(note))}`;
}
