import type { DiagramArrow, DiagramNote } from './merge.js';
import type { TraceEvent } from './trace-event.js';

/** Preview characters shown on an arrow. */
const LABEL_PREVIEW = 64;

/** What an arrow says, unescaped: the payload's start and size, and what befell it. */
export function arrowLabel(arrow: DiagramArrow): string {
  const event = arrow.event;
  const parts: string[] = [];
  if (event.event.startsWith('stream:')) {
    parts.push('connect');
  } else if (event.preview !== undefined) {
    const preview =
      event.preview.length > LABEL_PREVIEW
        ? `${event.preview.slice(0, LABEL_PREVIEW)}...`
        : event.preview;
    parts.push(`"${preview}"`);
  }
  if (event.size !== undefined) parts.push(`${event.size} B`);
  parts.push(...arrowMarks(arrow));
  return parts.join(' ');
}

/** The words that say what befell an arrow: dropped, lost, duplicate, retransmission. */
export function arrowMarks(arrow: DiagramArrow): string[] {
  const marks: string[] = [];
  if (arrow.dropped) marks.push('(dropped by relay)');
  else if (arrow.lost) marks.push('(lost)');
  if (arrow.duplicate) marks.push('(duplicate)');
  if (arrow.retransmit) marks.push('(retransmission)');
  if (arrow.sendRow === undefined) marks.push('(sender not traced)');
  return marks;
}

/** What a note says, unescaped. */
export function noteLabel(note: DiagramNote): string {
  return eventSummary(note.event);
}

/** One event in a few words: its name, its peer, its detail. */
export function eventSummary(event: TraceEvent): string {
  const parts = [event.event];
  if (event.remote !== undefined) parts.push(event.remote);
  if (event.detail !== undefined) parts.push(event.detail);
  if (event.size !== undefined) parts.push(`${event.size} B`);
  return parts.join(' ');
}
