import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { within } from '../helpers/bounded.js';
import { recv, socketTracker } from './sockets.js';

const sockets = socketTracker();

/** Binds a socket in a worker thread, sends one datagram from it, and ends with it open. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.module).then(async ({ DatagramSocket }) => {
  const socket = await DatagramSocket.bind('127.0.0.1:0');
  await socket.sendTo('from a worker', workerData.to);
  parentPort.postMessage({ endpoint: socket.localEndpoint, backend: socket.backend });
});
`;

describe('DatagramSocket in worker threads', () => {
  it('works in a worker, and a worker that ends with the socket open frees its port', async () => {
    const receiver = await sockets.bind('127.0.0.1:0');
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: {
        module: new URL('../../src/index.js', import.meta.url).href,
        to: receiver.localEndpoint,
      },
    });
    try {
      const [reply] = (await within(once(worker, 'message'), 10_000, 'the worker')) as [
        { endpoint: { host: string; port: number }; backend: string },
      ];
      assert.equal(reply.backend, receiver.backend);
      const datagram = await recv(receiver);
      assert.equal(datagram.data.toString(), 'from a worker');
      assert.deepEqual(datagram.sender, reply.endpoint);
      // The worker's event loop would stay alive with the socket open: end it from here.
      const exited = once(worker, 'exit');
      await worker.terminate();
      await within(exited, 10_000, 'the worker to exit');
      const again = await sockets.bind(reply.endpoint);
      assert.deepEqual(again.localEndpoint, reply.endpoint);
    } finally {
      await worker.terminate();
    }
  });
});
