import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { SocketClosedError, StreamSocket, InvalidArgumentError } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { LineChild } from '../helpers/child.js';
import { connectedPair, FAMILIES, listening, unavailable } from './pair.js';

const SOCKOPT = fileURLToPath(new URL('../../../test/stream/fixtures/sockopt.py', import.meta.url));

/**
 * One reader for the whole file, asked one connection per line: a Python interpreter start
 * costs more processor time than the question it answers.
 */
let reader: LineChild | undefined;
let asked: Promise<unknown> = Promise.resolve();
after(() => reader?.close());

interface TcpOptions {
  nodelay?: number;
  keepalive?: number;
  keepidle?: number;
  unavailable?: string;
  error?: string;
}

/** The options the kernel has for `socket`'s connection, read from outside this process. */
async function kernelOptions(socket: StreamSocket): Promise<TcpOptions> {
  const question = `${process.pid} ${socket.localEndpoint.port} ${socket.remoteEndpoint.port}\n`;
  const answer = asked.then(() => {
    reader ??= new LineChild('python3', [SOCKOPT, '--lines']);
    reader.write(question);
    return reader.nextLine(10_000);
  });
  asked = answer.catch(() => undefined);
  const options = JSON.parse(await answer) as TcpOptions;
  assert.equal(options.error, undefined, options.error);
  return options;
}

for (const family of FAMILIES) {
  describe(`StreamSocket socket options over ${family.name}`, () => {
    it('setNoDelay turns Nagle off and on for an accepted connection', async (t) => {
      const skip = await unavailable(family);
      if (skip) return t.skip(skip);
      const pair = await connectedPair(family.host);
      try {
        const before = await kernelOptions(pair.peer);
        if (before.unavailable !== undefined) return t.skip(before.unavailable);
        pair.peer.setNoDelay();
        assert.equal((await kernelOptions(pair.peer)).nodelay, 1);
        pair.peer.setNoDelay(false);
        assert.equal((await kernelOptions(pair.peer)).nodelay, 0);
        pair.peer.setNoDelay(true);
        assert.equal((await kernelOptions(pair.peer)).nodelay, 1);
        // The connection still carries data both ways.
        await pair.peer.sendAll('ping');
        assert.equal((await within(pair.client.recvExactly(4), 5000, 'ping')).toString(), 'ping');
      } finally {
        await pair.close();
      }
    });

    it('setKeepAlive turns keep-alive on with the idle time asked for, and off', async (t) => {
      const skip = await unavailable(family);
      if (skip) return t.skip(skip);
      const pair = await connectedPair(family.host);
      try {
        const before = await kernelOptions(pair.peer);
        if (before.unavailable !== undefined) return t.skip(before.unavailable);
        pair.peer.setKeepAlive(true, 42_000);
        assert.deepEqual(await kernelOptions(pair.peer), {
          nodelay: before.nodelay,
          keepalive: 1,
          keepidle: 42,
        });
        pair.peer.setKeepAlive(false);
        assert.equal((await kernelOptions(pair.peer)).keepalive, 0);
        // Without a delay, the idle time set before stays.
        pair.client.setKeepAlive(true, 7_000);
        pair.client.setKeepAlive(false);
        pair.client.setKeepAlive(true);
        const client = await kernelOptions(pair.client);
        assert.equal(client.keepalive, 1);
        assert.equal(client.keepidle, 7);
      } finally {
        await pair.close();
      }
    });

    it('setKeepAlive takes milliseconds, rounded up to the whole seconds the system counts', async (t) => {
      const skip = await unavailable(family);
      if (skip) return t.skip(skip);
      const pair = await connectedPair(family.host);
      try {
        const before = await kernelOptions(pair.peer);
        if (before.unavailable !== undefined) return t.skip(before.unavailable);
        // Node.js alone would round these down: 1500 to 1 s, and 1 to 0, which keeps the
        // system's idle time (7200 s on Linux) as if no delay had been given.
        pair.peer.setKeepAlive(true, 1500);
        assert.equal((await kernelOptions(pair.peer)).keepidle, 2);
        pair.peer.setKeepAlive(true, 1);
        assert.equal((await kernelOptions(pair.peer)).keepidle, 1);
        pair.peer.setKeepAlive(true, 32_767_000);
        assert.equal((await kernelOptions(pair.peer)).keepidle, 32_767);
      } finally {
        await pair.close();
      }
    });
  });
}

for (const family of FAMILIES) {
  describe(`StreamSocket.connect options over ${family.name}, read from the kernel`, () => {
    /** Connects with `options` and returns the kernel's options of the client's connection. */
    async function connectWith(options: Parameters<typeof StreamSocket.connect>[1]) {
      const server = await listening(family.host);
      let client: StreamSocket | undefined;
      try {
        client = await within(StreamSocket.connect(server.localEndpoint, options), 5000, 'connect');
        return await kernelOptions(client);
      } finally {
        await within(Promise.all([client?.close(), server.close()]), 5000, 'close');
      }
    }

    it('leaves Nagle and keep-alive off by default', async (t) => {
      const skip = await unavailable(family);
      if (skip) return t.skip(skip);
      const options = await connectWith({});
      if (options.unavailable !== undefined) return t.skip(options.unavailable);
      assert.equal(options.nodelay, 0);
      assert.equal(options.keepalive, 0);
    });

    it('turns Nagle off with noDelay: true', async (t) => {
      const skip = await unavailable(family);
      if (skip) return t.skip(skip);
      const options = await connectWith({ noDelay: true });
      if (options.unavailable !== undefined) return t.skip(options.unavailable);
      assert.equal(options.nodelay, 1);
      assert.equal(options.keepalive, 0);
    });

    it('turns keep-alive on with keepAlive: true, and with the idle time given in ms', async (t) => {
      const skip = await unavailable(family);
      if (skip) return t.skip(skip);
      const on = await connectWith({ keepAlive: true });
      if (on.unavailable !== undefined) return t.skip(on.unavailable);
      assert.equal(on.keepalive, 1);
      assert.equal(on.nodelay, 0);
      const timed = await connectWith({ keepAlive: 33_000, noDelay: true });
      assert.deepEqual(timed, { nodelay: 1, keepalive: 1, keepidle: 33 });
      const rounded = await connectWith({ keepAlive: 500 });
      assert.deepEqual(rounded, { nodelay: 0, keepalive: 1, keepidle: 1 });
      await assert.rejects(StreamSocket.connect('127.0.0.1:9', { keepAlive: 40_000_000 }), {
        name: 'InvalidArgumentError',
        message: /keepAlive must be an integer from 0 to 32767000, got 40000000/,
      });
    });
  });
}

describe('StreamSocket socket option argument checks', () => {
  it('refuses bad flags and delays, naming them, and a closed socket', async () => {
    const pair = await connectedPair('127.0.0.1');
    try {
      assert.throws(() => pair.peer.setNoDelay('yes' as never), {
        name: 'InvalidArgumentError',
        message: /flag must be true or false, got "yes"/,
      });
      assert.throws(() => pair.peer.setKeepAlive(undefined as never), {
        name: 'InvalidArgumentError',
        message: /flag must be true or false/,
      });
      assert.throws(() => pair.peer.setKeepAlive(true, -1), {
        name: 'InvalidArgumentError',
        message: /initialDelay must be an integer from 0 to 32767000, got -1/,
      });
      // Past the system's 32,767 s, Node.js would leave the system's setting without a word.
      assert.throws(() => pair.peer.setKeepAlive(true, 40_000_000), {
        name: 'InvalidArgumentError',
        message: /initialDelay must be an integer from 0 to 32767000, got 40000000/,
      });
      assert.throws(() => pair.peer.setKeepAlive(true, 1.5), InvalidArgumentError);
      await pair.peer.close();
      assert.throws(() => pair.peer.setNoDelay(), SocketClosedError);
      assert.throws(
        () => pair.peer.setKeepAlive(true),
        (error: unknown) => {
          assert.ok(error instanceof SocketClosedError);
          assert.match(error.message, /setKeepAlive on .*: socket is closed/);
          return true;
        },
      );
    } finally {
      await pair.close();
    }
  });
});
