/**
 * The entry point of a Bun process running one peer, the counterpart of lib/peer-worker.ts for
 * a worker thread (lib/stdio-peer.ts):
 *
 *   bun build/bench/bun/peer-host.js <module URL> <export> <params JSON>
 */
import { runStdioPeer } from '../lib/stdio-peer.js';

await runStdioPeer({
  usage: 'usage: bun peer-host.js MODULE-URL EXPORT PARAMS-JSON',
  name: (exportName) => `${exportName} (bun)`,
  writeLine: (line) => process.stdout.write(line),
  // stdout is a pipe: let what was posted drain before the process ends.
  end: () => process.stdout.write('', () => process.exit(0)),
});
