/**
 * The entry point of a Node.js process running one peer, the counterpart of peer-worker.ts for
 * a scenario whose ends each run as a program of their own, as the contenders in other
 * languages do:
 *
 *   node build/bench/lib/peer-process.js <module URL> <export> <params JSON>
 *
 * It imports the module, calls the named peer function with a {@link PeerContext} that carries
 * the coordinator's messages as JSON lines on stdin and stdout (process-peer.ts), and ends the
 * process once the function has returned. Bigint timestamps (fields ending in `Ns`) go out as
 * decimal strings, as the coordinator expects of a program. The end of stdin means the
 * coordinator is gone: the process ends. The coordinator pins the whole process (`taskset`),
 * so its helper threads (garbage collection, compilation) share the CPU of its end.
 */
import { writeSync } from 'node:fs';
import type { PeerContext, PeerFunction, PeerMessage } from './peer-protocol.js';
import { expectType } from './peer-protocol.js';

const [moduleUrl, exportName, paramsJson] = process.argv.slice(2);
if (moduleUrl === undefined || exportName === undefined || paramsJson === undefined) {
  throw new Error('usage: node peer-process.js MODULE-URL EXPORT PARAMS-JSON');
}

const inbox: PeerMessage[] = [];
let waiting: ((message: PeerMessage) => void) | undefined;
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text: string) => {
  const lines = (pending + text).split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    if (line === '') continue;
    const message = JSON.parse(line) as PeerMessage;
    const deliver = waiting;
    waiting = undefined;
    if (deliver === undefined) inbox.push(message);
    else deliver(message);
  }
});
process.stdin.on('end', () => process.exit(0));

const context: PeerContext<unknown> = {
  params: JSON.parse(paramsJson) as unknown,
  // One synchronous write per message: a line is never split, and nothing is left unwritten
  // when the process ends.
  post: (message) => {
    writeSync(
      1,
      `${JSON.stringify(message, (_key, value: unknown) =>
        typeof value === 'bigint' ? String(value) : value,
      )}\n`,
    );
  },
  async next<M extends PeerMessage>(type: string | readonly string[]): Promise<M> {
    const message =
      inbox.shift() ?? (await new Promise<PeerMessage>((resolve) => (waiting = resolve)));
    return expectType<M>(message, type, exportName);
  },
};

const module = (await import(moduleUrl)) as Record<string, unknown>;
const peer = module[exportName];
if (typeof peer !== 'function') throw new Error(`${moduleUrl} has no peer function ${exportName}`);
await (peer as PeerFunction<unknown>)(context);
process.exit(0);
