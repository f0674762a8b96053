import { CHUNK_CHARS, joinChunks } from './chunks.js';
import { escapeMarkup } from './escape.js';
import type { SpaceTimeDiagram } from './diagram.js';
import { layoutOf, svgChunks } from './render-svg.js';
import type { TraceEvent } from './trace-event.js';

const STYLE = `
body { margin: 0; font: 13px sans-serif; color: #222; }
header { position: sticky; top: 0; background: #f7f7f7; border-bottom: 1px solid #ccc; padding: 6px 10px; z-index: 1; }
header fieldset { display: inline-block; border: 1px solid #ccc; margin: 2px 6px 2px 0; padding: 2px 6px; }
header label { margin-right: 8px; white-space: nowrap; }
#details { white-space: pre; font-family: monospace; min-height: 1.2em; margin-top: 4px; }
#view { overflow: auto; height: calc(100vh - 120px); }
#canvas { transform-origin: 0 0; }
.hidden { display: none; }
g.arrow:hover line, g.arrow:hover text { stroke-width: 3; font-weight: bold; }
`;

const SCRIPT = String.raw`
(function () {
  var canvas = document.getElementById('canvas');
  var details = document.getElementById('details');
  var data = JSON.parse(document.getElementById('events').textContent);
  var zoom = 1;
  function setZoom(z) { zoom = Math.min(8, Math.max(0.1, z)); canvas.style.transform = 'scale(' + zoom + ')'; document.getElementById('zoom').textContent = Math.round(zoom * 100) + '%'; }
  document.getElementById('in').onclick = function () { setZoom(zoom * 1.25); };
  document.getElementById('out').onclick = function () { setZoom(zoom / 1.25); };
  document.getElementById('reset').onclick = function () { setZoom(1); };
  function checked(name) { var on = {}; document.querySelectorAll('input[name=' + name + ']').forEach(function (c) { on[c.value] = c.checked; }); return on; }
  function filter() {
    var lines = checked('lifeline'), events = checked('event');
    document.querySelectorAll('g.arrow').forEach(function (g) {
      var show = lines[g.dataset.from] && lines[g.dataset.to] && events[g.dataset.event];
      g.classList.toggle('hidden', !show);
    });
    document.querySelectorAll('g.note').forEach(function (g) { g.classList.toggle('hidden', !(lines[g.dataset.lifeline] && events[g.dataset.event])); });
    document.querySelectorAll('g.lifeline').forEach(function (g) { g.classList.toggle('hidden', !lines[g.dataset.lifeline]); });
  }
  document.querySelectorAll('header input[type=checkbox]').forEach(function (c) { c.onchange = filter; });
  function text(v) { return typeof v === 'number' ? data.strings[v] : v; }
  function shown(s) { return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, function (c) { var h = c.charCodeAt(0).toString(16); return '\\x' + (h.length < 2 ? '0' + h : h); }); }
  // An event's details, made when it is first hovered, from its entry in the table:
  // [event, remote, detail, size, pid, command, local, digest, preview, wall].
  function detailsOf(e) {
    var first = text(e[0]);
    if (e[1] !== null) first += ' ' + text(e[1]);
    if (e[2] !== null) first += ' ' + e[2];
    if (e[3] !== null) first += ' ' + e[3] + ' B';
    var lines = [first, 'pid ' + e[4] + ' ' + text(e[5])];
    if (e[6] !== null) lines.push('local ' + text(e[6]));
    if (e[7] !== null) lines.push('digest ' + e[7]);
    if (e[8] !== null) lines.push('preview ' + e[8]);
    var wall = new Date(e[9]);
    lines.push('wall ' + (isNaN(wall.getTime()) ? e[9] + ' (not a date)' : wall.toISOString()));
    return lines.map(shown).join('\n');
  }
  canvas.addEventListener('mouseover', function (e) {
    var g = e.target.closest('g.arrow, g.note');
    if (!g) return;
    var entry = (g.classList.contains('note') ? data.notes : data.arrows)[Number(g.dataset.index)];
    var about = entry ? detailsOf(entry) : '';
    details.textContent = about;
    if (!g.querySelector('title')) {
      var title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
      title.textContent = about;
      g.appendChild(title);
    }
  });
})();
`;

/**
 * The diagram as one self-contained HTML page for long traces: the SVG picture with zoom
 * buttons, scrolling, the details of the arrow or note under the pointer (made by the page's
 * script from a compact table of the events, not written out beside every arrow), and check boxes
 * that filter by process and by event. It loads nothing from anywhere (its Content Security
 * Policy forbids it), and every peer-controlled string in it is escaped.
 *
 * @example
 * ```ts
 * import { mergeTraces, renderHtml, type TraceEvent } from 'dsock';
 *
 * const send: TraceEvent = {
 *   v: 1, seq: 1, mono: 1, wall: 1, pid: 1, command: 'demo',
 *   event: 'datagram:send', local: '127.0.0.1:1', remote: '127.0.0.1:2',
 *   size: 2, digest: 'abc', preview: '</script><b>',
 * };
 * const html = renderHtml(mergeTraces([[send]]));
 * console.log(html.startsWith('<!DOCTYPE html>'), html.includes('<b>')); // true false
 * ```
 */
export function renderHtml(diagram: SpaceTimeDiagram, title = 'dsock trace'): string {
  return joinChunks(htmlChunks(diagram, title));
}

/** The page of {@link renderHtml} in chunks of about {@link CHUNK_CHARS} characters. */
export function* htmlChunks(
  diagram: SpaceTimeDiagram,
  title = 'dsock trace',
): Generator<string, void, undefined> {
  const lifelines = diagram.lifelines
    .map(
      (l) =>
        `<label><input type="checkbox" name="lifeline" value="${l.index}" checked> ${escapeMarkup(l.label)}</label>`,
    )
    .join('');
  const kinds = new Set<string>();
  let lost = 0;
  for (const a of diagram.arrows) {
    kinds.add(a.event.event);
    if (a.lost) lost++;
  }
  for (const n of diagram.notes) kinds.add(n.event.event);
  const events = [...kinds]
    .sort()
    .map(
      (k) =>
        `<label><input type="checkbox" name="event" value="${escapeMarkup(k)}" checked> ${escapeMarkup(k)}</label>`,
    )
    .join('');
  yield `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${escapeMarkup(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<strong>${escapeMarkup(title)}</strong>: ${diagram.lifelines.length} lifelines, ${diagram.rows.length} events, ${diagram.arrows.length} arrows, ${lost} lost
<button id="out" type="button">&minus;</button><span id="zoom">100%</span><button id="in" type="button">+</button><button id="reset" type="button">1:1</button><br>
<fieldset><legend>processes</legend>${lifelines}</fieldset>
<fieldset><legend>events</legend>${events}</fieldset>
<div id="details"></div>
</header>
<div id="view"><div id="canvas">
`;
  yield* svgChunks(diagram, layoutOf(diagram), 'index');
  yield '</div></div>\n<script type="application/json" id="events">';
  yield* eventTableChunks(diagram);
  yield `</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** The most distinct texts the event table numbers; past it, texts are written out each time. */
const TABLE_STRINGS_MAX = 10_000;

/**
 * The details of every arrow and note as JSON for the page's script: one short array per event
 * (see detailsOf in the script), with the texts that repeat (event names, endpoints, commands)
 * written once in `strings` and given by number. Safe inside a script element: no `<`, `>`
 * or `&` is left in it.
 */
function* eventTableChunks(diagram: SpaceTimeDiagram): Generator<string, void, undefined> {
  const numbers = new Map<string, number>();
  const strings: string[] = [];
  const repeated = (value: string | undefined): string => {
    if (value === undefined) return 'null';
    let number = numbers.get(value);
    if (number === undefined) {
      if (strings.length >= TABLE_STRINGS_MAX) return jsonString(value);
      number = strings.length;
      strings.push(value);
      numbers.set(value, number);
    }
    return `${number}`;
  };
  const entry = (event: TraceEvent): string =>
    `[${repeated(event.event)},${repeated(event.remote)},${optionalJson(event.detail)},` +
    `${jsonNumber(event.size)},${jsonNumber(event.pid)},${repeated(event.command)},` +
    `${repeated(event.local)},${optionalJson(event.digest)},${optionalJson(event.preview)},` +
    `${jsonNumber(event.wall)}]`;
  let text = '{"arrows":[';
  const arrows = diagram.arrows;
  for (let i = 0; i < arrows.length; i++) {
    text += `${i === 0 ? '' : ','}${entry((arrows[i] as (typeof arrows)[number]).event)}`;
    if (text.length >= CHUNK_CHARS) {
      yield text;
      text = '';
    }
  }
  text += '],"notes":[';
  const notes = diagram.notes;
  for (let i = 0; i < notes.length; i++) {
    text += `${i === 0 ? '' : ','}${entry((notes[i] as (typeof notes)[number]).event)}`;
    if (text.length >= CHUNK_CHARS) {
      yield text;
      text = '';
    }
  }
  yield `${text}],"strings":[${strings.map(jsonString).join(',')}]}`;
}

/** What JSON.stringify leaves that a script element must not hold, and line separators. */
const UNSAFE_IN_SCRIPT = /[<>&\u2028\u2029]/g;

/** A string as JSON text that can stand inside a script element. */
function jsonString(value: string): string {
  const json = JSON.stringify(value);
  UNSAFE_IN_SCRIPT.lastIndex = 0;
  if (!UNSAFE_IN_SCRIPT.test(json)) return json;
  return json.replace(
    UNSAFE_IN_SCRIPT,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function optionalJson(value: string | undefined): string {
  return value === undefined ? 'null' : jsonString(value);
}

function jsonNumber(value: number | undefined): string {
  return value !== undefined && Number.isFinite(value) ? `${value}` : 'null';
}
