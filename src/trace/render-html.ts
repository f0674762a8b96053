import { escapeMarkup } from './escape.js';
import type { SpaceTimeDiagram } from './merge.js';
import { layoutOf, svgOf } from './render-svg.js';

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

const SCRIPT = `
(function () {
  var canvas = document.getElementById('canvas');
  var details = document.getElementById('details');
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
  canvas.addEventListener('mouseover', function (e) {
    var g = e.target.closest('g.arrow, g.note');
    if (g) { var t = g.querySelector('title'); details.textContent = t ? t.textContent : ''; }
  });
})();
`;

/**
 * The diagram as one self-contained HTML page for long traces: the SVG picture with zoom
 * buttons, scrolling, the details of the arrow or note under the pointer, and check boxes
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
  const lifelines = diagram.lifelines
    .map(
      (l) =>
        `<label><input type="checkbox" name="lifeline" value="${l.index}" checked> ${escapeMarkup(l.label)}</label>`,
    )
    .join('');
  const kinds = new Set<string>();
  for (const a of diagram.arrows) kinds.add(a.event.event);
  for (const n of diagram.notes) kinds.add(n.event.event);
  const events = [...kinds]
    .sort()
    .map(
      (k) =>
        `<label><input type="checkbox" name="event" value="${escapeMarkup(k)}" checked> ${escapeMarkup(k)}</label>`,
    )
    .join('');
  const lost = diagram.arrows.filter((a) => a.lost).length;
  return `<!DOCTYPE html>
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
${svgOf(diagram, layoutOf(diagram))}</div></div>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
