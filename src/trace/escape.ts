/**
 * Bytes as text that is safe anywhere: printable ASCII kept (a backslash doubled), every other
 * byte written `\xNN`. A peer's bytes go into trace files and diagrams through this.
 */
export function escapeBytes(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) {
    if (byte === 0x5c) text += '\\\\';
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return text;
}

/** Text for XML and HTML: `&`, `<`, `>`, quotes as entities, control characters as `\xNN`. */
export function escapeMarkup(text: string): string {
  // Most names and labels need nothing: one scan, no copy.
  if (!NEEDS_MARKUP_ESCAPE.test(text)) return text;
  return controlEscaped(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Text for a Mermaid sequence diagram: Mermaid reads `;`, `#`, `:`, `<`, `>`, quotes and
 * newlines in labels as syntax, so every character but letters, digits, space and a few safe
 * marks is written as a Mermaid entity code (`#35;`), which it shows as the character.
 */
export function escapeMermaid(text: string): string {
  return controlEscaped(text).replace(
    /[^A-Za-z0-9 .,_()/*+=!?@\\-]/g,
    (c) => `#${c.codePointAt(0)};`,
  );
}

/** A Mermaid participant id: letters and digits only. */
export function mermaidId(index: number): string {
  return `p${index}`;
}

/** Control characters (C0, DEL, C1) and the line separators JavaScript treats as newlines. */
// eslint-disable-next-line no-control-regex
export const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** What escapeMarkup replaces: a control character, a line separator, or markup. */
// eslint-disable-next-line no-control-regex
const NEEDS_MARKUP_ESCAPE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029&<>"']/;

function controlEscaped(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
