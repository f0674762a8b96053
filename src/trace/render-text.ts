import { CONTROL } from './escape.js';
import { arrowMarks } from './labels.js';
import type { SpaceTimeDiagram } from './merge.js';

/**
 * The merged events as text, one a line in causal order: the lifeline, the event, its
 * endpoints, size, digest, preview (escaped when recorded) and what befell it.
 *
 * @example
 * ```ts
 * import { mergeTraces, renderText, type TraceEvent } from 'dsock';
 *
 * const send: TraceEvent = {
 *   v: 1, seq: 1, mono: 1, wall: 1, pid: 7, command: 'demo',
 *   event: 'datagram:send', local: '127.0.0.1:1', remote: '127.0.0.1:2',
 *   size: 2, digest: 'abc', preview: 'hi',
 * };
 * console.log(renderText(mergeTraces([[send]])).trim()); // 0 demo 127.0.0.1:1: datagram:send 127.0.0.1:1 -> 127.0.0.1:2 2 B abc "hi" (lost)
 * ```
 */
export function renderText(diagram: SpaceTimeDiagram): string {
  const marks = new Map<number, string[]>();
  for (const arrow of diagram.arrows) {
    const row = arrow.sendRow ?? arrow.receiveRow;
    if (row !== undefined) marks.set(row, arrowMarks(arrow));
  }
  const out: string[] = [];
  for (const { row, lifeline, event } of diagram.rows) {
    const parts = [`${row}`, `${diagram.lifelines[lifeline]?.label ?? '?'}:`, event.event];
    const [from, to] =
      event.event.endsWith(':receive') ||
      event.event.endsWith(':in') ||
      event.event === 'stream:accept'
        ? [event.remote, event.local]
        : [event.local, event.remote];
    if (from !== undefined || to !== undefined) parts.push(`${from ?? '?'} -> ${to ?? '?'}`);
    if (event.size !== undefined) parts.push(`${event.size} B`);
    if (event.digest !== undefined) parts.push(event.digest);
    // The preview was escaped when recorded; a hand-made trace's control characters are
    // replaced below.
    if (event.preview !== undefined) parts.push(`"${event.preview}"`);
    if (event.detail !== undefined) parts.push(`(${event.detail})`);
    parts.push(...(marks.get(row) ?? []));
    out.push(parts.join(' ').replace(CONTROL, '?'));
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
