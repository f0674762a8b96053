import { CHUNK_CHARS, joinChunks } from './chunks.js';
import { escapeMarkup } from './escape.js';
import { arrowMarksText, labelPreview, wallText, word } from './labels.js';
import type { DiagramArrow, DiagramNote, SpaceTimeDiagram } from './diagram.js';
import type { TraceEvent } from './trace-event.js';

const COLUMN = 200;
const ROW = 24;
const TOP = 56;
const MARGIN = 24;

/** Where things go in the picture: rows that draw nothing take no room. */
export interface SvgLayout {
  width: number;
  height: number;
  x(lifeline: number): number;
  y(row: number): number;
}

/**
 * Places the lifelines and the rows that draw something. Rows are numbered from 0 in a merged
 * diagram, so their places are kept in an array indexed by row; a hand-made diagram with other
 * row numbers gets a map.
 */
export function layoutOf(diagram: SpaceTimeDiagram): SvgLayout {
  const { arrows, notes } = diagram;
  let last = -1;
  let indexable = true;
  const see = (row: number): void => {
    if (!Number.isInteger(row) || row < 0) indexable = false;
    else if (row > last) last = row;
  };
  for (const a of arrows) {
    if (a.sendRow !== undefined) see(a.sendRow);
    if (a.receiveRow !== undefined) see(a.receiveRow);
  }
  for (const n of notes) see(n.row);
  const width = MARGIN * 2 + Math.max(1, diagram.lifelines.length) * COLUMN;
  const x = (lifeline: number): number => MARGIN + lifeline * COLUMN + COLUMN / 2;
  if (!indexable || last > 4 * (arrows.length + notes.length + diagram.rows.length) + 1024) {
    return mappedLayout(diagram, width, x);
  }
  const used = new Uint8Array(last + 1);
  for (const a of arrows) {
    if (a.sendRow !== undefined) used[a.sendRow] = 1;
    if (a.receiveRow !== undefined) used[a.receiveRow] = 1;
  }
  for (const n of notes) used[n.row] = 1;
  const ys = new Float64Array(last + 1).fill(TOP);
  let y = TOP + ROW;
  for (let row = 0; row <= last; row++) {
    if (used[row] === 1) {
      ys[row] = y;
      y += ROW;
    }
  }
  return { width, height: y + ROW, x, y: (row) => ys[row] ?? TOP };
}

function mappedLayout(
  diagram: SpaceTimeDiagram,
  width: number,
  x: (lifeline: number) => number,
): SvgLayout {
  const used = new Set<number>();
  for (const a of diagram.arrows) {
    if (a.sendRow !== undefined) used.add(a.sendRow);
    if (a.receiveRow !== undefined) used.add(a.receiveRow);
  }
  for (const n of diagram.notes) used.add(n.row);
  const ys = new Map<number, number>();
  let y = TOP + ROW;
  for (const row of [...used].sort((a, b) => a - b)) {
    ys.set(row, y);
    y += ROW;
  }
  return { width, height: y + ROW, x, y: (row) => ys.get(row) ?? TOP };
}

/** The most texts a {@link MarkupCache} remembers; past it, texts are escaped every time. */
const MARKUP_CACHE_MAX = 10_000;

/**
 * {@link escapeMarkup} with a memory, for the texts that repeat on every line (event names,
 * endpoints, commands): each is scanned once, not once per arrow.
 */
export class MarkupCache {
  readonly #escaped = new Map<string, string>();

  of(text: string): string {
    let escaped = this.#escaped.get(text);
    if (escaped === undefined) {
      escaped = escapeMarkup(text);
      if (this.#escaped.size < MARKUP_CACHE_MAX) this.#escaped.set(text, escaped);
    }
    return escaped;
  }
}

/** A newline as escapeMarkup writes it: the lines of a title are joined by it. */
const ESCAPED_NEWLINE = '\\x0a';

/**
 * The hover text of an event (everything its line says, a line per field) escaped for markup:
 * the same text as escapeMarkup of the lines joined by newlines, built from escaped fields.
 */
export function escapedDetails(event: TraceEvent, cache: MarkupCache): string {
  let text = cache.of(event.event);
  if (event.remote !== undefined) text += ` ${cache.of(event.remote)}`;
  if (event.detail !== undefined) text += ` ${escapeMarkup(event.detail)}`;
  if (event.size !== undefined) text += ` ${event.size} B`;
  text += `${ESCAPED_NEWLINE}pid ${event.pid} ${cache.of(event.command)}`;
  if (event.local !== undefined) text += `${ESCAPED_NEWLINE}local ${cache.of(event.local)}`;
  if (event.digest !== undefined) text += `${ESCAPED_NEWLINE}digest ${escapeMarkup(event.digest)}`;
  if (event.preview !== undefined) {
    text += `${ESCAPED_NEWLINE}preview ${escapeMarkup(event.preview)}`;
  }
  return `${text}${ESCAPED_NEWLINE}wall ${wallText(event.wall)}`;
}

/** An event summary (name, peer, detail, size) escaped for markup. */
function escapedSummary(event: TraceEvent, cache: MarkupCache): string {
  let text = cache.of(event.event);
  if (event.remote !== undefined) text += ` ${cache.of(event.remote)}`;
  if (event.detail !== undefined) text += ` ${escapeMarkup(event.detail)}`;
  if (event.size !== undefined) text += ` ${event.size} B`;
  return text;
}

/** An arrow's label escaped for markup: what escapeMarkup(arrowLabel(arrow)) gives. */
function escapedArrowLabel(arrow: DiagramArrow): string {
  const event = arrow.event;
  let label = '';
  if (event.event.startsWith('stream:')) label = 'connect';
  else if (event.preview !== undefined)
    label = `&#34;${escapeMarkup(labelPreview(event.preview))}&#34;`;
  if (event.size !== undefined) label = word(label, `${event.size} B`);
  return word(label, arrowMarksText(arrow));
}

/**
 * How the details of an arrow or note are given: a `<title>` in each (a standalone picture),
 * or only a data-index that a page's script looks up in a table of its own.
 */
export type SvgDetails = 'title' | 'index';

/**
 * The diagram as a standalone SVG picture: a lifeline per process, arrows from send to receive
 * (slanted as time passed), a lost arrow ending in a cross, notes as boxes; hover an arrow for
 * its details. All text is escaped for XML: a peer's bytes stay text.
 *
 * @example
 * ```ts
 * import { mergeTraces, renderSvg, type TraceEvent } from 'dsock';
 *
 * const send: TraceEvent = {
 *   v: 1, seq: 1, mono: 1, wall: 1, pid: 1, command: 'demo', name: '<script>',
 *   event: 'datagram:send', local: '127.0.0.1:1', remote: '127.0.0.1:2',
 *   size: 2, digest: 'abc', preview: 'hi',
 * };
 * const svg = renderSvg(mergeTraces([[send]]));
 * console.log(svg.startsWith('<svg'), svg.includes('<script>')); // true false
 * ```
 */
export function renderSvg(diagram: SpaceTimeDiagram): string {
  return joinChunks(svgChunks(diagram, layoutOf(diagram)));
}

/**
 * The SVG of `diagram` with `layout`, in chunks of about {@link CHUNK_CHARS} characters; every
 * element a renderer may filter carries data-*.
 */
export function* svgChunks(
  diagram: SpaceTimeDiagram,
  layout: SvgLayout,
  details: SvgDetails = 'title',
): Generator<string, void, undefined> {
  const cache = new MarkupCache();
  let text =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}" ` +
    `viewBox="0 0 ${layout.width} ${layout.height}" font-family="sans-serif" font-size="11">\n` +
    '<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" ' +
    'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#333"/></marker></defs>\n' +
    `<rect width="${layout.width}" height="${layout.height}" fill="#fff"/>`;
  for (const line of diagram.lifelines) {
    const x = layout.x(line.index);
    const label = escapeMarkup(line.label);
    text +=
      `\n<g class="lifeline" data-lifeline="${line.index}">` +
      `<line x1="${x}" y1="${TOP}" x2="${x}" y2="${layout.height - 8}" stroke="#999"` +
      `${line.traced ? '' : ' stroke-dasharray="4 4"'}/>` +
      `<rect x="${x - COLUMN / 2 + 6}" y="8" width="${COLUMN - 12}" height="${TOP - 20}" rx="4" ` +
      `fill="${line.traced ? '#eef3fb' : '#f4f4f4'}" stroke="#557"/>` +
      `<text x="${x}" y="${TOP / 2}" text-anchor="middle">${label}</text>` +
      `<title>${label}${line.pid === undefined ? '' : ` pid ${line.pid}`}</title></g>`;
  }
  const arrows = diagram.arrows;
  for (let i = 0; i < arrows.length; i++) {
    text += `\n${arrowSvg(arrows[i] as DiagramArrow, i, layout, cache, details)}`;
    if (text.length >= CHUNK_CHARS) {
      yield text;
      text = '';
    }
  }
  const notes = diagram.notes;
  for (let i = 0; i < notes.length; i++) {
    text += `\n${noteSvg(notes[i] as DiagramNote, i, layout, cache, details)}`;
    if (text.length >= CHUNK_CHARS) {
      yield text;
      text = '';
    }
  }
  yield `${text}\n</svg>\n`;
}

function noteSvg(
  note: DiagramNote,
  index: number,
  layout: SvgLayout,
  cache: MarkupCache,
  details: SvgDetails,
): string {
  const x = layout.x(note.lifeline);
  const y = layout.y(note.row);
  const event = note.event;
  return (
    `<g class="note" data-lifeline="${note.lifeline}" data-event="${cache.of(event.event)}"` +
    `${details === 'index' ? ` data-index="${index}"` : ''}>` +
    `<rect x="${x - COLUMN / 2 + 10}" y="${y - 9}" width="${COLUMN - 20}" height="16" fill="#fff8c4" stroke="#bb9"/>` +
    `<text x="${x}" y="${y + 3}" text-anchor="middle">${clip(escapedSummary(event, cache))}</text>` +
    `${details === 'title' ? `<title>${escapedDetails(event, cache)}</title>` : ''}</g>`
  );
}

function arrowSvg(
  arrow: DiagramArrow,
  index: number,
  layout: SvgLayout,
  cache: MarkupCache,
  details: SvgDetails,
): string {
  const x1 = layout.x(arrow.from);
  const y1 = layout.y(arrow.sendRow ?? (arrow.receiveRow as number));
  let x2 = layout.x(arrow.to);
  let y2 = arrow.receiveRow === undefined ? y1 + ROW / 2 : layout.y(arrow.receiveRow);
  const lost = arrow.lost;
  if (lost && !arrow.dropped) x2 = x1 + (x2 - x1) * 0.7; // lost on the way
  if (x1 === x2) {
    x2 = x1 + 30;
    y2 = y1 + ROW / 2;
  }
  const marked = arrow.duplicate || arrow.retransmit;
  const colour = lost ? '#c22' : marked ? '#c80' : '#333';
  let svg =
    `<g class="arrow${lost ? ' lost' : ''}" data-from="${arrow.from}" data-to="${arrow.to}" ` +
    `data-event="${cache.of(arrow.event.event)}" data-index="${index}">` +
    `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${colour}" stroke-width="1.4"` +
    `${marked ? ' stroke-dasharray="6 3"' : ''}${lost ? '' : ' marker-end="url(#head)"'}/>`;
  if (lost) {
    svg +=
      `<path class="cross" d="M${x2 - 5},${y2 - 5}L${x2 + 5},${y2 + 5}M${x2 - 5},${y2 + 5}L${x2 + 5},${y2 - 5}" ` +
      `stroke="#c22" stroke-width="2"/>`;
  }
  svg += `<text x="${(x1 + x2) / 2}" y="${Math.min(y1, y2) - 3}" text-anchor="middle" fill="${colour}">${clip(escapedArrowLabel(arrow))}</text>`;
  if (details === 'title') svg += `<title>${escapedDetails(arrow.event, cache)}</title>`;
  return `${svg}</g>`;
}

/** At most about 40 characters of already escaped text, cut between entities. */
function clip(text: string): string {
  if (text.length <= 48) return text;
  const cut = text.slice(0, 44);
  const amp = cut.lastIndexOf('&');
  return `${amp > cut.lastIndexOf(';') ? cut.slice(0, amp) : cut}...`;
}
