/**
 * The entry point of a worker thread running one peer: it imports the module named in
 * `workerData`, calls the named export with a {@link PeerContext}, and lets the thread end once
 * the peer function has returned and its sockets are closed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { PeerContext, PeerFunction, PeerMessage } from './peer-protocol.js';
import { expectType } from './peer-protocol.js';
import { pinCurrentThread } from './placement.js';

/** What {@link startPeer} hands to the worker. */
export interface PeerWorkerData {
  module: string;
  export: string;
  name: string;
  params: unknown;
  /** The CPU to pin this thread to, if any. */
  cpu: number | undefined;
}

const port = parentPort;
if (port === null) throw new Error('peer-worker.js must run in a worker thread');
const data = workerData as PeerWorkerData;

const inbox: PeerMessage[] = [];
let waiting: ((message: PeerMessage) => void) | undefined;
port.on('message', (message: PeerMessage) => {
  if (waiting === undefined) {
    inbox.push(message);
    return;
  }
  const deliver = waiting;
  waiting = undefined;
  deliver(message);
});

const context: PeerContext<unknown> = {
  params: data.params,
  post: (message) => port.postMessage(message),
  async next<M extends PeerMessage>(type: string | readonly string[]): Promise<M> {
    const message =
      inbox.shift() ?? (await new Promise<PeerMessage>((resolve) => (waiting = resolve)));
    return expectType<M>(message, type, data.name);
  },
};

if (data.cpu !== undefined) pinCurrentThread(data.cpu);
const module = (await import(data.module)) as Record<string, unknown>;
const peer = module[data.export];
if (typeof peer !== 'function') {
  throw new Error(`${data.module} has no peer function named ${data.export}`);
}
await (peer as PeerFunction<unknown>)(context);
// Messages already posted are still delivered; closing the port lets the thread end.
port.close();
