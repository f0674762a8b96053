/**
 * About how many characters a renderer hands on at a time: enough that writing them costs few
 * calls, few enough that a long diagram is never held whole as one string.
 */
export const CHUNK_CHARS = 64 * 1024;

/** Everything a chunked renderer yields, as one string. */
export function joinChunks(chunks: Iterable<string>): string {
  const all: string[] = [];
  for (const chunk of chunks) all.push(chunk);
  return all.join('');
}
