import { escapeMarkup } from './escape.js';
import { arrowLabel, eventSummary, noteLabel } from './labels.js';
import type { DiagramArrow, SpaceTimeDiagram } from './merge.js';
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

/** Places the lifelines and the rows that draw something. */
export function layoutOf(diagram: SpaceTimeDiagram): SvgLayout {
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
  return {
    width: MARGIN * 2 + Math.max(1, diagram.lifelines.length) * COLUMN,
    height: y + ROW,
    x: (lifeline) => MARGIN + lifeline * COLUMN + COLUMN / 2,
    y: (row) => ys.get(row) ?? TOP,
  };
}

/** The hover text of an event: everything its line says. */
export function eventDetails(event: TraceEvent): string {
  const lines = [`${eventSummary(event)}`, `pid ${event.pid} ${event.command}`];
  if (event.local !== undefined) lines.push(`local ${event.local}`);
  if (event.digest !== undefined) lines.push(`digest ${event.digest}`);
  if (event.preview !== undefined) lines.push(`preview ${event.preview}`);
  lines.push(`wall ${new Date(event.wall).toISOString()}`);
  return lines.join('\n');
}

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
  return svgOf(diagram, layoutOf(diagram));
}

/** The SVG of `diagram` with `layout`; every element a renderer may filter carries data-*. */
export function svgOf(diagram: SpaceTimeDiagram, layout: SvgLayout): string {
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}" ` +
      `viewBox="0 0 ${layout.width} ${layout.height}" font-family="sans-serif" font-size="11">`,
    '<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" ' +
      'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#333"/></marker></defs>',
    `<rect width="${layout.width}" height="${layout.height}" fill="#fff"/>`,
  );
  for (const line of diagram.lifelines) {
    const x = layout.x(line.index);
    const label = escapeMarkup(line.label);
    out.push(
      `<g class="lifeline" data-lifeline="${line.index}">` +
        `<line x1="${x}" y1="${TOP}" x2="${x}" y2="${layout.height - 8}" stroke="#999"` +
        `${line.traced ? '' : ' stroke-dasharray="4 4"'}/>` +
        `<rect x="${x - COLUMN / 2 + 6}" y="8" width="${COLUMN - 12}" height="${TOP - 20}" rx="4" ` +
        `fill="${line.traced ? '#eef3fb' : '#f4f4f4'}" stroke="#557"/>` +
        `<text x="${x}" y="${TOP / 2}" text-anchor="middle">${label}</text>` +
        `<title>${label}${line.pid === undefined ? '' : ` pid ${line.pid}`}</title></g>`,
    );
  }
  for (const [i, arrow] of diagram.arrows.entries()) out.push(arrowSvg(arrow, i, layout));
  for (const note of diagram.notes) {
    const x = layout.x(note.lifeline);
    const y = layout.y(note.row);
    const text = escapeMarkup(noteLabel(note));
    out.push(
      `<g class="note" data-lifeline="${note.lifeline}" data-event="${escapeMarkup(note.event.event)}">` +
        `<rect x="${x - COLUMN / 2 + 10}" y="${y - 9}" width="${COLUMN - 20}" height="16" fill="#fff8c4" stroke="#bb9"/>` +
        `<text x="${x}" y="${y + 3}" text-anchor="middle">${clip(text)}</text>` +
        `<title>${escapeMarkup(eventDetails(note.event))}</title></g>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function arrowSvg(arrow: DiagramArrow, index: number, layout: SvgLayout): string {
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
  const colour = lost ? '#c22' : arrow.duplicate || arrow.retransmit ? '#c80' : '#333';
  const dash = arrow.duplicate || arrow.retransmit ? ' stroke-dasharray="6 3"' : '';
  const parts = [
    `<g class="arrow${lost ? ' lost' : ''}" data-from="${arrow.from}" data-to="${arrow.to}" ` +
      `data-event="${escapeMarkup(arrow.event.event)}" data-index="${index}">`,
    `<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" stroke="${colour}" stroke-width="1.4"${dash}` +
      `${lost ? '' : ' marker-end="url(#head)"'}/>`,
  ];
  if (lost) {
    parts.push(
      `<path class="cross" d="M${x2 - 5},${y2 - 5}L${x2 + 5},${y2 + 5}M${x2 - 5},${y2 + 5}L${x2 + 5},${y2 - 5}" ` +
        `stroke="#c22" stroke-width="2"/>`,
    );
  }
  const label = clip(escapeMarkup(arrowLabel(arrow)));
  parts.push(
    `<text x="${(x1 + x2) / 2}" y="${Math.min(y1, y2) - 3}" text-anchor="middle" fill="${colour}">${label}</text>`,
    `<title>${escapeMarkup(eventDetails(arrow.event))}</title></g>`,
  );
  return parts.join('');
}

/** At most about 40 characters of already escaped text, cut between entities. */
function clip(text: string): string {
  if (text.length <= 48) return text;
  const cut = text.slice(0, 44);
  const amp = cut.lastIndexOf('&');
  return `${amp > cut.lastIndexOf(';') ? cut.slice(0, amp) : cut}...`;
}
