import type { DiagramArrow, DiagramNote } from './diagram.js';
import type { TraceEvent } from './trace-event.js';

/** Preview characters shown on an arrow. */
export const LABEL_PREVIEW = 64;

/** What an arrow says, unescaped: the payload's start and size, and what befell it. */
export function arrowLabel(arrow: DiagramArrow): string {
  const event = arrow.event;
  let label = '';
  if (event.event.startsWith('stream:')) label = 'connect';
  else if (event.preview !== undefined) label = `"${labelPreview(event.preview)}"`;
  if (event.size !== undefined) label = word(label, `${event.size} B`);
  return word(label, arrowMarksText(arrow));
}

/** The start of a preview an arrow shows: at most {@link LABEL_PREVIEW} characters, then `...`. */
export function labelPreview(preview: string): string {
  return preview.length > LABEL_PREVIEW ? `${preview.slice(0, LABEL_PREVIEW)}...` : preview;
}

/** `text` and `more` with a space between, or either alone when the other is empty. */
export function word(text: string, more: string): string {
  if (more === '') return text;
  return text === '' ? more : `${text} ${more}`;
}

/**
 * The words that say what befell an arrow (dropped, lost, duplicate, retransmission), a space
 * between them, '' for none; no markup in them.
 */
export function arrowMarksText(arrow: DiagramArrow): string {
  let marks = arrow.dropped ? '(dropped by relay)' : arrow.lost ? '(lost)' : '';
  if (arrow.duplicate) marks = word(marks, '(duplicate)');
  if (arrow.retransmit) marks = word(marks, '(retransmission)');
  if (arrow.sendRow === undefined) marks = word(marks, '(sender not traced)');
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

/**
 * An event's wall clock as a date, or as the number it is when no date can show it: events made
 * by hand (not read through readTrace, which refuses such a number) must not stop a drawing.
 */
export function wallText(wall: number): string {
  const date = new Date(wall);
  return Number.isNaN(date.getTime()) ? `${wall} (not a date)` : date.toISOString();
}
