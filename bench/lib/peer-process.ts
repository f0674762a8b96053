/**
 * The entry point of a Node.js process running one peer, the counterpart of peer-worker.ts for
 * a scenario whose ends each run as a program of their own, as the contenders in other
 * languages do (stdio-peer.ts):
 *
 *   node build/bench/lib/peer-process.js <module URL> <export> <params JSON>
 *
 * The coordinator pins the whole process (`taskset`), so its helper threads (garbage
 * collection, compilation) share the CPU of its end.
 */
import { writeSync } from 'node:fs';
import { runStdioPeer } from './stdio-peer.js';

await runStdioPeer({
  usage: 'usage: node peer-process.js MODULE-URL EXPORT PARAMS-JSON',
  name: (exportName) => exportName,
  // One synchronous write per message: a line is never split, and nothing is left unwritten
  // when the process ends.
  writeLine: (line) => writeSync(1, line),
  end: () => process.exit(0),
});
