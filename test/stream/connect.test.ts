import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AbortError,
  ConnectionRefusedError,
  formatEndpoint,
  InvalidEndpointError,
  StreamServer,
  StreamSocket,
  TimeoutError,
  InvalidArgumentError,
} from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { LineChild, readyPort } from '../helpers/child.js';
import { FAMILIES, unavailable } from '../helpers/families.js';
import { connectedPair } from './pair.js';

/** TCP handles this process holds open (connecting, connected or listening). */
function tcpHandles(): number {
  return process
    .getActiveResourcesInfo()
    .filter((name) => name === 'TCPSocketWrap' || name === 'TCPWRAP').length;
}

/** Waits (bounded) until the count of TCP handles is back to `expected`. */
async function handlesBackTo(expected: number): Promise<number> {
  for (let i = 0; i < 200 && tcpHandles() > expected; i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  return tcpHandles();
}

/**
 * A Python listener with a backlog of 0 that never accepts: once its accept queue holds one
 * connection, the kernel drops further SYNs, so a connect hangs until its timeout.
 */
function fullBacklogListener(host: string): LineChild {
  const family = host.includes(':') ? 'AF_INET6' : 'AF_INET';
  const code = [
    'import socket, sys',
    `s = socket.socket(socket.${family}, socket.SOCK_STREAM)`,
    `s.bind((${JSON.stringify(host)}, 0))`,
    's.listen(0)',
    'print("READY", s.getsockname()[1], flush=True)',
    'sys.stdin.read()',
  ].join('\n');
  return new LineChild('python3', ['-c', code]);
}

/** Connects until a connect times out (the listener's queue is full); returns that error. */
async function connectUntilTimeout(
  host: string,
  port: number,
  held: StreamSocket[],
): Promise<TimeoutError> {
  for (let attempt = 0; attempt < 8; attempt++) {
    try {
      held.push(
        await within(StreamSocket.connect({ host, port }, { timeout: 400 }), 5000, 'connect'),
      );
    } catch (error) {
      assert.ok(error instanceof TimeoutError, `expected TimeoutError, got ${String(error)}`);
      return error;
    }
  }
  assert.fail('eight connections were accepted by a listener with backlog 0');
}

for (const { family, loopback } of FAMILIES) {
  describe(`StreamSocket.connect over ${family}`, () => {
    it('connects, and both sides agree on the endpoints', async (t) => {
      if (await unavailable(t, family)) return;
      const pair = await connectedPair(loopback);
      try {
        assert.deepEqual(pair.client.remoteEndpoint, pair.server.localEndpoint);
        assert.deepEqual(pair.peer.remoteEndpoint, pair.client.localEndpoint);
        assert.deepEqual(pair.peer.localEndpoint, pair.client.remoteEndpoint);
        assert.equal(pair.client.localEndpoint.host, loopback);
      } finally {
        await pair.close();
      }
    });

    it('a bare port or ":port" means the loopback address of the family', async (t) => {
      if (await unavailable(t, family)) return;
      const server = await StreamServer.listen({ host: loopback, port: 0 });
      const opened: StreamSocket[] = [];
      try {
        const { port } = server.localEndpoint;
        for (const remote of [port, `:${port}`]) {
          const client = await within(
            StreamSocket.connect(remote, { family: family }),
            5000,
            `connect to ${String(remote)}`,
          );
          opened.push(client);
          assert.deepEqual(client.remoteEndpoint, { host: loopback, port });
          opened.push(await within(server.accept(), 5000, 'accept'));
        }
      } finally {
        await Promise.all(opened.map((socket) => socket.close()));
        await server.close();
      }
    });

    it('binds the local endpoint it is given', async (t) => {
      if (await unavailable(t, family)) return;
      const server = await StreamServer.listen({ host: loopback, port: 0 });
      try {
        const client = await within(
          StreamSocket.connect(server.localEndpoint, { local: { host: loopback, port: 0 } }),
          5000,
          'connect',
        );
        const peer = await within(server.accept(), 5000, 'accept');
        assert.equal(client.localEndpoint.host, loopback);
        assert.deepEqual(peer.remoteEndpoint, client.localEndpoint);
        await Promise.all([client.close(), peer.close()]);
      } finally {
        await server.close();
      }
    });

    it('rejects with ConnectionRefusedError naming the endpoint of a port just closed', async (t) => {
      if (await unavailable(t, family)) return;
      const server = await StreamServer.listen({ host: loopback, port: 0 });
      const endpoint = server.localEndpoint;
      await server.close();
      const error = await within(
        StreamSocket.connect(endpoint).then(
          () => assert.fail('connected to a closed port'),
          (error: unknown) => error,
        ),
        5000,
        'refusal',
      );
      assert.ok(error instanceof ConnectionRefusedError, String(error));
      assert.deepEqual(error.endpoint, endpoint);
      assert.match(error.message, new RegExp(escape(formatEndpoint(endpoint))));
      assert.equal(error.code, 'ECONNREFUSED');
    });

    it('rejects with TimeoutError when the listener drops SYNs, and frees the socket', async (t) => {
      if (await unavailable(t, family)) return;
      const listener = fullBacklogListener(loopback);
      const held: StreamSocket[] = [];
      try {
        const port = await readyPort(listener);
        const before = tcpHandles();
        const started = Date.now();
        const error = await connectUntilTimeout(loopback, port, held);
        const elapsed = Date.now() - started;
        assert.equal(error.timeout, 400);
        assert.deepEqual(error.endpoint, { host: loopback, port });
        assert.match(
          error.message,
          new RegExp(`${escape(formatEndpoint({ host: loopback, port }))} timed out after 400 ms`),
        );
        assert.ok(elapsed >= 390, `gave up after ${elapsed} ms`);
        // The half-open connection was destroyed: only the connections that succeeded remain.
        assert.equal(await handlesBackTo(before + held.length), before + held.length);
      } finally {
        await Promise.all(held.map((socket) => socket.close()));
        await listener.close();
      }
    });

    it('rejects with AbortError when the signal aborts a hanging connect', async (t) => {
      if (await unavailable(t, family)) return;
      const listener = fullBacklogListener(loopback);
      const held: StreamSocket[] = [];
      try {
        const port = await readyPort(listener);
        const baseline = tcpHandles();
        await connectUntilTimeout(loopback, port, held);
        const before = await handlesBackTo(baseline + held.length);
        const controller = new AbortController();
        const connecting = StreamSocket.connect(
          { host: loopback, port },
          { signal: controller.signal },
        );
        const outcome = connecting.then(
          () => assert.fail('connected to a full listener'),
          (error: unknown) => error,
        );
        controller.abort();
        const error = await within(outcome, 5000, 'abort');
        assert.ok(error instanceof AbortError, String(error));
        assert.deepEqual(error.endpoint, { host: loopback, port });
        assert.equal(await handlesBackTo(before), before);
      } finally {
        await Promise.all(held.map((socket) => socket.close()));
        await listener.close();
      }
    });
  });
}

describe('StreamSocket.connect argument checks', () => {
  it('rejects an already aborted signal without connecting', async () => {
    const server = await StreamServer.listen('127.0.0.1:0');
    try {
      const error = await StreamSocket.connect(server.localEndpoint, {
        signal: AbortSignal.abort(),
      }).catch((e: unknown) => e);
      assert.ok(error instanceof AbortError, String(error));
      await assert.rejects(server.accept({ timeout: 100 }), TimeoutError);
    } finally {
      await server.close();
    }
  });

  it('rejects port 0, a family mismatch and a local host name with InvalidEndpointError', async () => {
    await assert.rejects(StreamSocket.connect('127.0.0.1:0'), (error: unknown) => {
      assert.ok(error instanceof InvalidEndpointError);
      assert.equal(error.part, 'port');
      assert.match(error.message, /port 0/);
      return true;
    });
    await assert.rejects(StreamSocket.connect('[::1]:80', { family: 'IPv4' }), (error: unknown) => {
      assert.ok(error instanceof InvalidEndpointError);
      assert.match(error.message, /"::1" is an IPv6 address but the socket's family is 'IPv4'/);
      return true;
    });
    await assert.rejects(
      StreamSocket.connect('127.0.0.1:80', { local: 'localhost:0' }),
      (error: unknown) => error instanceof InvalidEndpointError && /local host/.test(error.message),
    );
    await assert.rejects(StreamSocket.connect('127.0.0.1:99999'), InvalidEndpointError);
  });

  it('rejects bad options with errors that name them', async () => {
    await assert.rejects(StreamSocket.connect(80, { timeout: -1 }), /timeout must be/);
    await assert.rejects(
      StreamSocket.connect(80, { timeout: 2 ** 31 }),
      (error: unknown) =>
        error instanceof InvalidArgumentError && /from 0 to 2147483647/.test(error.message),
    );
    await assert.rejects(
      StreamSocket.connect(80, { receiveBufferLimit: 0 }),
      (error: unknown) =>
        error instanceof InvalidArgumentError && /receiveBufferLimit/.test(error.message),
    );
    await assert.rejects(
      StreamSocket.connect(80, { family: 'IPv5' as never }),
      (error: unknown) => error instanceof InvalidArgumentError && /family/.test(error.message),
    );
    await assert.rejects(
      StreamSocket.connect(80, { noDelay: 'yes' as never }),
      (error: unknown) => error instanceof InvalidArgumentError && /noDelay/.test(error.message),
    );
    await assert.rejects(
      StreamSocket.connect(80, { keepAlive: -5 }),
      (error: unknown) => error instanceof InvalidArgumentError && /keepAlive/.test(error.message),
    );
  });

  it('connects with timeout Infinity (no time limit)', async () => {
    const pair = await connectedPair('127.0.0.1', { client: { timeout: Infinity } });
    try {
      await pair.client.sendAll('hi');
      assert.equal((await within(pair.peer.recvExactly(2), 5000, 'data')).toString(), 'hi');
    } finally {
      await pair.close();
    }
  });

  it('accepts noDelay and keepAlive and the connection works', async () => {
    const pair = await connectedPair('127.0.0.1', { client: { noDelay: true, keepAlive: 1000 } });
    try {
      await pair.client.sendAll('x');
      assert.equal((await within(pair.peer.recv(10), 5000, 'recv')).toString(), 'x');
    } finally {
      await pair.close();
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
