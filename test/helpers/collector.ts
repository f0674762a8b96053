import { Writable } from 'node:stream';

/** A stream that keeps every byte written to it: `bytes()` gives them all, `text()` as UTF-8. */
export function collector(): { stream: Writable; bytes: () => Buffer; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  const bytes = (): Buffer => Buffer.concat(chunks);
  return { stream, bytes, text: () => bytes().toString('utf8') };
}
