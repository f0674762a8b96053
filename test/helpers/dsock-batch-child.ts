// Runs the dsock command lines given as one JSON argument, one after another, through the
// main() of the built CLI (dist/, as bin/dsock.js runs it), and prints one JSON array of
// { code, out, err, leftOpen }: see dsock-batch.ts.
const { main } = (await import(new URL('../../../dist/cli/main.js', import.meta.url).href)) as {
  main: (args: string[]) => Promise<number>;
};

type Write = typeof process.stdout.write;

/** How many handles of each kind are open in this process now. */
function openHandles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo())
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** The kinds of which more are open now than in `before`. */
function grownSince(before: Map<string, number>): string[] {
  return [...openHandles()].filter(([kind, n]) => n > (before.get(kind) ?? 0)).map(([k]) => k);
}

const lines = JSON.parse(process.argv[2] ?? '[]') as string[][];
const results = [];
// Put back as they were (the same functions, called on their own streams as before).
const stdoutWrite = process.stdout.write.bind(process.stdout);
const stderrWrite = process.stderr.write.bind(process.stderr);
for (const args of lines) {
  const out: string[] = [];
  const err: string[] = [];
  const into =
    (texts: string[]): Write =>
    (chunk: string | Uint8Array, ...rest: unknown[]) => {
      texts.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    };
  const listeners = [process.stdout, process.stderr].map((s) => s.listeners('error'));
  const before = openHandles();
  process.stdout.write = into(out);
  process.stderr.write = into(err);
  let code: number;
  try {
    code = await main(args);
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
    // main() listens for EPIPE on both streams each time it runs a command.
    [process.stdout, process.stderr].forEach((stream, i) => {
      for (const listener of stream.listeners('error'))
        if (!listeners[i]?.includes(listener)) stream.off('error', listener as () => void);
    });
  }
  // Handles being closed go within a few turns of the event loop; what stays would have kept
  // the command's own process running.
  let leftOpen = grownSince(before);
  for (let i = 0; i < 50 && leftOpen.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    leftOpen = grownSince(before);
  }
  const split = (texts: string[]) => {
    const text = texts.join('');
    return text === '' ? [] : text.replace(/\n$/, '').split('\n');
  };
  results.push({ code, out: split(out), err: split(err), leftOpen });
}
process.stdout.write(`${JSON.stringify(results)}\n`);
