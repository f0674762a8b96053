import { escapeMermaid, mermaidId } from './escape.js';
import { arrowLabel, noteLabel } from './labels.js';
import type { SpaceTimeDiagram } from './merge.js';

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
  const lines = ['sequenceDiagram'];
  for (const line of diagram.lifelines) {
    lines.push(`  participant ${mermaidId(line.index)} as ${escapeMermaid(line.label)}`);
  }
  const atRow = new Map<number, string[]>();
  const add = (row: number, text: string): void => {
    const list = atRow.get(row);
    if (list === undefined) atRow.set(row, [text]);
    else list.push(text);
  };
  for (const arrow of diagram.arrows) {
    const row = arrow.sendRow ?? arrow.receiveRow ?? 0;
    const shape = arrow.lost ? '-x' : '->>';
    add(
      row,
      `  ${mermaidId(arrow.from)}${shape}${mermaidId(arrow.to)}: ${escapeMermaid(arrowLabel(arrow))}`,
    );
  }
  for (const note of diagram.notes) {
    add(note.row, `  Note over ${mermaidId(note.lifeline)}: ${escapeMermaid(noteLabel(note))}`);
  }
  for (const row of [...atRow.keys()].sort((a, b) => a - b)) lines.push(...(atRow.get(row) ?? []));
  return `${lines.join('\n')}\n`;
}
