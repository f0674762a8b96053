import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AbortError,
  ConnectionRefusedError,
  MessageTooLargeError,
  RemoteError,
  RpcClient,
  RpcServer,
  StreamSocket,
  TimeoutError,
  type CallContext,
  type RpcServerOptions,
} from '../../src/index.js';
import { until, within } from '../helpers/bounded.js';

const servers: RpcServer[] = [];
const clients: RpcClient[] = [];
/** The calls to `never` still running: a server's close does not wait for them. */
const unanswered: (() => void)[] = [];
after(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await within(
    Promise.all(servers.splice(0).map((server) => server.close())),
    5000,
    'the servers to close',
  );
});

/** Calls held by `hold` until `release` is called with their key. */
class Gate {
  readonly #held = new Map<string, () => void>();
  readonly #arrived: (() => void)[] = [];
  get size(): number {
    return this.#held.size;
  }
  hold(key: string): Promise<string> {
    return new Promise((resolve) => {
      this.#held.set(key, () => resolve(key));
      for (const wake of this.#arrived.splice(0)) wake();
    });
  }
  release(key: string): boolean {
    const resume = this.#held.get(key);
    this.#held.delete(key);
    resume?.();
    return resume !== undefined;
  }
  async until(count: number): Promise<void> {
    while (this.#held.size < count) await new Promise<void>((r) => this.#arrived.push(r));
  }
}

async function calculator(options: RpcServerOptions = {}, gate = new Gate()): Promise<RpcServer> {
  const server = await RpcServer.listen('127.0.0.1:0', {
    ...options,
    methods: {
      add: (_context: CallContext, a: number, b: number) => a + b,
      addLater: async (_context: CallContext, a: number, b: number) => {
        await Promise.resolve();
        return a + b;
      },
      fail: (_context: CallContext, text: string) => {
        throw new Error(text);
      },
      whoAmI: (context: CallContext) => ({
        method: context.method,
        host: context.remoteEndpoint.host,
        metadata: context.metadata,
      }),
      hold: (_context: CallContext, key: string) => gate.hold(key),
      echo: (_context: CallContext, value: unknown) => value,
      never: () => new Promise<void>((finish) => unanswered.push(finish)),
    },
  });
  servers.push(server);
  return server;
}

function client(server: RpcServer, options: ConstructorParameters<typeof RpcClient>[1] = {}) {
  const made = new RpcClient(server.localEndpoint, { timeout: 10_000, ...options });
  clients.push(made);
  return made;
}

interface Calculator {
  add(a: number, b: number): number;
  addLater(a: number, b: number): Promise<number>;
  fail(text: string): never;
}

for (const multiplex of [false, true]) {
  describe(`RpcClient and RpcServer, ${multiplex ? 'one connection, many calls' : 'one connection per call'}`, () => {
    it('calls methods by name and through a typed stub', async () => {
      const server = await calculator();
      const rpc = client(server, { multiplex });
      assert.equal(await rpc.call('add', [1, 2]), 3);
      const calc = rpc.stub<Calculator>();
      assert.equal(await calc.addLater(20, 22), 42);
      assert.equal(await calc.add(0.5, 0.25), 0.75);
    });

    it("rejects with RemoteError carrying the server's text: the method's, unknown method, wrong arity", async () => {
      const server = await calculator();
      const rpc = client(server, { multiplex });
      await assert.rejects(rpc.call('fail', ['User with ID ada not found']), (error: unknown) => {
        assert.ok(error instanceof RemoteError);
        assert.equal(error.message, 'User with ID ada not found');
        assert.equal(error.method, 'fail');
        return true;
      });
      await assert.rejects(rpc.call('nope', []), {
        name: 'RemoteError',
        message: 'unknown method "nope"',
      });
      await assert.rejects(rpc.call('add', [1]), {
        name: 'RemoteError',
        message: 'add() takes 2 arguments, 1 given',
      });
      await assert.rejects(rpc.call('constructor', []), {
        message: 'unknown method "constructor"',
      });
      assert.equal(await rpc.call('add', [2, 3]), 5);
    });

    it('gives the method the caller and the metadata', async () => {
      const server = await calculator();
      const rpc = client(server, { multiplex });
      assert.deepEqual(await rpc.call('whoAmI', [], { metadata: { token: 'x' } }), {
        method: 'whoAmI',
        host: '127.0.0.1',
        metadata: { token: 'x' },
      });
    });

    it('times out and aborts a call that gets no answer, and the client goes on working', async () => {
      const server = await calculator();
      const rpc = client(server, { multiplex });
      await assert.rejects(rpc.call('never', [], { timeout: 200 }), (error: unknown) => {
        assert.ok(error instanceof TimeoutError);
        assert.match(error.message, /^call never on 127\.0\.0\.1:\d+ timed out after 200 ms$/);
        return true;
      });
      const controller = new AbortController();
      const aborted = rpc.call('never', [], { signal: controller.signal });
      controller.abort();
      await assert.rejects(aborted, AbortError);
      assert.equal(await rpc.call('add', [1, 1]), 2);
    });

    it('refuses a request larger than the 2-byte prefix carries before sending; 4 bytes carry it', async () => {
      const big = 'x'.repeat(100_000);
      const narrow = await calculator();
      const rpc = client(narrow, { multiplex });
      await assert.rejects(rpc.call('echo', [big]), MessageTooLargeError);
      assert.equal(narrow.streamStats.accepted, 0);
      const wide = await calculator({ prefix: 'uint32be' });
      assert.equal(await client(wide, { multiplex, prefix: 'uint32be' }).call('echo', [big]), big);
    });

    it('reports a server that is not there as ConnectionRefusedError', async () => {
      const server = await calculator();
      const port = server.localEndpoint.port;
      await server.close();
      const rpc = new RpcClient({ host: '127.0.0.1', port }, { multiplex });
      clients.push(rpc);
      await assert.rejects(rpc.call('add', [1, 2]), ConnectionRefusedError);
    });
  });
}

describe('RpcClient modes', () => {
  it('opens one connection per call by default, as the course client does', async () => {
    const server = await calculator();
    const rpc = client(server);
    for (let i = 0; i < 5; i++) assert.equal(await rpc.call('add', [i, 1]), i + 1);
    assert.equal(server.streamStats.accepted, 5);
  });

  it('with multiplex, carries 64 calls at once on one connection and matches answers that come out of order', async () => {
    const gate = new Gate();
    const server = await calculator({}, gate);
    const rpc = client(server, { multiplex: true });
    const keys = Array.from({ length: 64 }, (_, i) => `k${i}`);
    const calls = keys.map((key) => rpc.call('hold', [key]));
    await within(gate.until(64), 5000, 'all 64 calls to reach the server');
    // Released last to first: each answer must still reach its own call.
    for (const key of [...keys].reverse()) gate.release(key);
    assert.deepEqual(await within(Promise.all(calls), 5000, 'the answers'), keys);
    assert.equal(server.streamStats.accepted, 1);
  });

  it('with multiplex, connects again at the next call after the server closed the connection', async () => {
    const server = await calculator({ idleTimeout: 200 });
    const rpc = client(server, { multiplex: true });
    assert.equal(await rpc.call('add', [1, 2]), 3);
    await until(
      () => server.stats.connections === 0,
      5000,
      'the server to close the idle connection',
    );
    assert.equal(await rpc.call('add', [2, 2]), 4);
    assert.equal(server.streamStats.accepted, 2);
  });

  it('with multiplex, limits the calls a connection runs at once (maxCallsInFlight) and runs the rest as slots free', async () => {
    const gate = new Gate();
    const server = await calculator({ maxCallsInFlight: 4 }, gate);
    const rpc = client(server, { multiplex: true });
    const calls = Array.from({ length: 10 }, (_, i) => rpc.call('hold', [`k${i}`]));
    await within(gate.until(4), 5000, '4 calls to run');
    // The others wait unread; a round trip on another connection shows the server is not busy.
    assert.equal(await client(server).call('add', [1, 1]), 2);
    assert.equal(gate.size, 4);
    for (let i = 0; i < 10; i++) {
      await within(gate.until(1), 5000, `call k${i} to run`);
      assert.ok(gate.release(`k${i}`), `k${i} ran in order`);
    }
    assert.equal((await within(Promise.all(calls), 5000, 'the answers')).length, 10);
  });

  it('closes while its methods never settle: on a connection at maxCallsInFlight, and on one whose client has sent all', async () => {
    const server = await calculator({ maxCallsInFlight: 2 });
    const before = unanswered.length;
    // Three calls on one connection: two run and never settle, the third waits for a slot.
    const rpc = client(server, { multiplex: true });
    const calls = [0, 1, 2].map(() => rpc.call('never', []).catch((error: unknown) => error));
    // A course-style client: one request, then end of input; the server owes it an answer.
    const halfClosed = await StreamSocket.connect(server.localEndpoint, { timeout: 5000 });
    try {
      const frame = Buffer.from(
        JSON.stringify({ name: 'never', args: [], metadata: null, $type: 'Request' }),
      );
      const prefix = Buffer.alloc(2);
      prefix.writeUInt16BE(frame.length);
      await halfClosed.sendAll(Buffer.concat([prefix, frame]));
      await halfClosed.shutdown();
      await until(() => unanswered.length === before + 3, 5000, 'the three calls to run');
      // It used to wait for the methods to settle, which these never do.
      await within(server.close(), 5000, 'the close');
      assert.equal(server.stats.connections, 0);
      // The connections were closed without answers.
      const end = await within(halfClosed.recv(100), 5000, 'end of stream');
      assert.equal(end.length, 0);
      for (const outcome of await within(Promise.all(calls), 5000, 'the calls')) {
        assert.ok(outcome instanceof Error, String(outcome));
      }
    } finally {
      await halfClosed.close();
    }
  });

  it('closing the client rejects the calls in flight', async () => {
    const server = await calculator();
    const rpc = client(server, { multiplex: true });
    const pending = rpc.call('never', []);
    await until(() => server.stats.connections > 0, 5000, 'the connection');
    const rejected = assert.rejects(pending, { name: 'SocketClosedError' });
    await rpc.close();
    await within(rejected, 5000, 'the call in flight to reject');
    await assert.rejects(rpc.call('add', [1, 2]), { name: 'SocketClosedError' });
  });
});
