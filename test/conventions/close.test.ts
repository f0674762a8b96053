// Every class that can be closed keeps one promise for closing it: a second close(), or the
// `await using` at the end of a block that already closed it, awaits the same work instead
// of reporting a close that has not finished (or, worse, starting it again).
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  ChaosRelay,
  DatagramSocket,
  MessageStream,
  ReliableDatagramSocket,
  RpcClient,
  RpcServer,
  StreamServer,
  StreamSocket,
} from '../../src/index.js';
import { within } from '../helpers/bounded.js';

interface Closable {
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const opened: Closable[] = [];
after(() => within(Promise.all(opened.map((c) => c.close())), 10_000, 'closing what is left'));

function track<T extends Closable>(closable: T): T {
  opened.push(closable);
  return closable;
}

/** Closes `closable` three ways and checks that each hands back the first close's promise. */
async function assertOneClosePromise(closable: Closable, what: string): Promise<void> {
  const first = closable.close();
  assert.equal(closable.close(), first, `${what}: a second close() while closing`);
  assert.equal(closable[Symbol.asyncDispose](), first, `${what}: asyncDispose while closing`);
  await within(first, 10_000, `${what} to close`);
  assert.equal(closable.close(), first, `${what}: close() once closed`);
}

describe('a repeated close() returns the same promise', () => {
  it('on DatagramSocket', async () => {
    const socket = track(await DatagramSocket.bind('127.0.0.1:0'));
    await assertOneClosePromise(socket, 'DatagramSocket');
  });

  it('on ReliableDatagramSocket', async () => {
    const socket = track(await ReliableDatagramSocket.bind('127.0.0.1:0'));
    await assertOneClosePromise(socket, 'ReliableDatagramSocket');
  });

  it('on StreamServer, StreamSocket and MessageStream', async () => {
    const server = track(await StreamServer.listen('127.0.0.1:0'));
    const client = track(
      await within(StreamSocket.connect(server.localEndpoint), 5000, 'the connection'),
    );
    const accepted = track(await server.accept({ timeout: 5000 }));
    const stream = track(new MessageStream(accepted));
    await assertOneClosePromise(stream, 'MessageStream');
    await assertOneClosePromise(client, 'StreamSocket');
    await assertOneClosePromise(server, 'StreamServer');
  });

  it('on ChaosRelay', async () => {
    const target = track(await DatagramSocket.bind('127.0.0.1:0'));
    const relay = track(
      await ChaosRelay.start({ target: target.localEndpoint, listen: '127.0.0.1:0' }),
    );
    await assertOneClosePromise(relay, 'ChaosRelay');
  });

  it('on RpcServer and RpcClient, with a connection open', async () => {
    const server = track(
      await RpcServer.listen('127.0.0.1:0', { methods: { ping: () => 'pong' } }),
    );
    const client = track(new RpcClient(server.localEndpoint, { timeout: 5000 }));
    assert.equal(await client.call('ping'), 'pong');
    await assertOneClosePromise(client, 'RpcClient');
    await assertOneClosePromise(server, 'RpcServer');
  });
});
