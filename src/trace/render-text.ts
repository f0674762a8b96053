import { CHUNK_CHARS, joinChunks } from './chunks.js';
import { CONTROL } from './escape.js';
import { arrowMarksText } from './labels.js';
import type { SpaceTimeDiagram } from './diagram.js';

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
  return joinChunks(textChunks(diagram));
}

/** The text of {@link renderText} in chunks of about {@link CHUNK_CHARS} characters. */
export function* textChunks(diagram: SpaceTimeDiagram): Generator<string, void, undefined> {
  const marks = new Map<number, string>();
  for (const arrow of diagram.arrows) {
    const row = arrow.sendRow ?? arrow.receiveRow;
    if (row !== undefined) marks.set(row, arrowMarksText(arrow));
  }
  let text = '';
  for (const { row, lifeline, event } of diagram.rows) {
    let line = `${row} ${diagram.lifelines[lifeline]?.label ?? '?'}: ${event.event}`;
    const [from, to] =
      event.event.endsWith(':receive') ||
      event.event.endsWith(':in') ||
      event.event === 'stream:accept'
        ? [event.remote, event.local]
        : [event.local, event.remote];
    if (from !== undefined || to !== undefined) line += ` ${from ?? '?'} -> ${to ?? '?'}`;
    if (event.size !== undefined) line += ` ${event.size} B`;
    if (event.digest !== undefined) line += ` ${event.digest}`;
    // The preview was escaped when recorded; a hand-made trace's control characters are
    // replaced below.
    if (event.preview !== undefined) line += ` "${event.preview}"`;
    if (event.detail !== undefined) line += ` (${event.detail})`;
    const marked = marks.get(row);
    if (marked !== undefined && marked !== '') line += ` ${marked}`;
    text += `${line.replace(CONTROL, '?')}\n`;
    if (text.length >= CHUNK_CHARS) {
      yield text;
      text = '';
    }
  }
  yield text;
}
