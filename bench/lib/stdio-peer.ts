/**
 * A peer function run as a program of its own, talking to the coordinator in JSON lines on
 * stdin and stdout (process-peer.ts): what the Node.js host (peer-process.ts) and the Bun host
 * (bun/peer-host.ts) share. Both are started as
 *
 *   <runtime> <host>.js <module URL> <export> <params JSON>
 *
 * The host's module imports the peer's module, calls the named peer function with a
 * {@link PeerContext} carrying the coordinator's messages, and ends the process once the
 * function has returned. Bigint timestamps (fields ending in `Ns`) go out as decimal strings, as
 * the coordinator expects of a program. The end of stdin means the coordinator is gone: the
 * process ends.
 */
import type { PeerContext, PeerFunction, PeerMessage } from './peer-protocol.js';
import { expectType } from './peer-protocol.js';

/** How a runtime writes a line and ends its process. */
export interface StdioHost {
  /** The usage line thrown when the arguments are missing. */
  usage: string;
  /** The peer's name in errors, from its export name. */
  name(exportName: string): string;
  /** Writes one whole line, its newline included, to stdout. */
  writeLine(line: string): void;
  /** Ends the process once the peer function has returned and what it posted is written. */
  end(): void;
}

/** Runs the peer named by this process's arguments on `host`. */
export async function runStdioPeer(host: StdioHost): Promise<void> {
  const [moduleUrl, exportName, paramsJson] = process.argv.slice(2);
  if (moduleUrl === undefined || exportName === undefined || paramsJson === undefined) {
    throw new Error(host.usage);
  }
  const name = host.name(exportName);
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
      host.writeLine(
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
  if (typeof peer !== 'function') {
    throw new Error(`${moduleUrl} has no peer function ${exportName}`);
  }
  await (peer as PeerFunction<unknown>)(context);
  host.end();
}
