/**
 * The entry point of a Bun process running one peer, the counterpart of lib/peer-worker.ts for
 * a worker thread:
 *
 *   bun build/bench/bun/peer-host.js <module URL> <export> <params JSON>
 *
 * It imports the module, calls the named peer function with a {@link PeerContext} that carries
 * the coordinator's messages as JSON lines on stdin and stdout (lib/process-peer.ts), and ends
 * the process once the function has returned. Bigint timestamps (fields ending in `Ns`) go out
 * as decimal strings, as the coordinator expects of a program. The end of stdin means the
 * coordinator is gone: the process ends.
 */
import type { PeerContext, PeerFunction, PeerMessage } from '../lib/peer-protocol.js';
import { expectType } from '../lib/peer-protocol.js';

const [moduleUrl, exportName, paramsJson] = process.argv.slice(2);
if (moduleUrl === undefined || exportName === undefined || paramsJson === undefined) {
  throw new Error('usage: bun peer-host.js MODULE-URL EXPORT PARAMS-JSON');
}
const name = `${exportName} (bun)`;

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
  post: (message) => {
    process.stdout.write(
      `${JSON.stringify(message, (_key, value: unknown) =>
        typeof value === 'bigint' ? String(value) : value,
      )}\n`,
    );
  },
  async next<M extends PeerMessage>(type: string | readonly string[]): Promise<M> {
    const message =
      inbox.shift() ?? (await new Promise<PeerMessage>((resolve) => (waiting = resolve)));
    return expectType<M>(message, type, name);
  },
};

const module = (await import(moduleUrl)) as Record<string, unknown>;
const peer = module[exportName];
if (typeof peer !== 'function') throw new Error(`${moduleUrl} has no peer function ${exportName}`);
await (peer as PeerFunction<unknown>)(context);
// stdout is a pipe: let what was posted drain before the process ends.
process.stdout.write('', () => process.exit(0));
