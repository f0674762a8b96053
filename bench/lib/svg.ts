/** Small helpers for writing SVG by hand: escaping, text, number labels and axes. */

/** Axis bounds widened to round numbers, and the ticks between them (about five). */
export function niceAxis(min: number, max: number): { from: number; to: number; ticks: number[] } {
  if (!(max > min)) return { from: 0, to: 1, ticks: [0, 1] };
  const rough = (max - min) / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((f) => f * power >= rough) ?? 10) * power;
  const from = Math.floor(min / step) * step;
  const to = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let i = 0; from + i * step <= to + step / 1e6; i++) ticks.push(from + i * step);
  return { from, to, ticks };
}

/** A number in at most 3 significant digits, with k/M/G for large ones: 1.23M, 45.6k, 0.25. */
export function compact(value: number): string {
  // Rounded first, so that 999,999 becomes 1M rather than 1000k.
  const abs = Math.abs(Number(value.toPrecision(3)));
  // From 10,000 on, in thousands: 1,234 stays readable as it is.
  for (const [from, unit, suffix] of [
    [1e9, 1e9, 'G'],
    [1e6, 1e6, 'M'],
    [1e4, 1e3, 'k'],
  ] as const) {
    if (abs >= from) return `${trim((value / unit).toPrecision(3))}${suffix}`;
  }
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs === 0) return '0';
  return trim(value.toPrecision(3));
}

function trim(digits: string): string {
  return digits.includes('.') && !digits.includes('e') ? digits.replace(/\.?0+$/, '') : digits;
}

export function shorten(value: string, length: number): string {
  return value.length <= length ? value : `${value.slice(0, length - 1)}…`;
}

export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

export function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x='${round1(x)}' y='${round1(y)}' ${attributes}>${esc(content)}</text>`;
}

export function esc(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll("'", '&apos;')
    .replaceAll('"', '&quot;');
}
