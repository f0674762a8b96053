import type { LineChild } from './child.js';

const HEADER = /^\[[^\]]+\] (.*):$/;

/** True when `lines` (a chat's stdout) hold the message TEXT from SENDER: header, then tab+text. */
export function hasChatMessage(lines: string[], sender: string, text: string): boolean {
  for (let i = 0; i + 1 < lines.length; i++) {
    if (HEADER.exec(lines[i] as string)?.[1] === sender && lines[i + 1] === `\t${text}`)
      return true;
  }
  return false;
}

/** Waits until a dsock chat printed the message TEXT from SENDER, whatever came in between. */
export function chatShows(
  child: LineChild,
  sender: string,
  text: string,
  ms = 10_000,
): Promise<void> {
  return child.untilStdout(
    (lines) => hasChatMessage(lines, sender, text),
    `chat message ${JSON.stringify(text)} from ${sender}`,
    ms,
  );
}
