import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DateTime,
  InvalidArgumentError,
  RawJson,
  RpcClient,
  RpcServer,
  TimeDelta,
  TypeRegistry,
  rpcRegistry,
  serveUsers,
  type CallContext,
  type RpcClientOptions,
  type RpcServerOptions,
  type UsersServerOptions,
} from '../../src/index.js';

const servers: RpcServer[] = [];
after(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** Asserts that `error` is an InvalidArgumentError about `argument`, its message matching. */
function invalid(argument: string, message: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(
      error instanceof InvalidArgumentError,
      `${String(error)} is not InvalidArgumentError`,
    );
    assert.equal(error.code, 'ERR_INVALID_ARGUMENT');
    assert.equal(error.argument, argument);
    assert.match(error.message, message);
    return true;
  };
}

const add = (_context: CallContext, a: number, b: number): number => a + b;

describe('RPC arguments: every bad one is an InvalidArgumentError that names it', () => {
  it('RpcServer.listen refuses unusable options before listening', async () => {
    const cases: [unknown, string, RegExp][] = [
      [null, 'options', /options must be an object/],
      [{ prefix: 'uint8' }, 'prefix', /prefix must be 'uint16be' or 'uint32be', got "uint8"/],
      [
        { maxMessageSize: 70_000 },
        'maxMessageSize',
        /from 1 to 65535 bytes with prefix 'uint16be', got 70000/,
      ],
      [{ prefix: 'uint32be', maxMessageSize: 0 }, 'maxMessageSize', /got 0/],
      [
        { idleTimeout: -1 },
        'idleTimeout',
        /idleTimeout must be an integer from 0 to 2147483647, got -1/,
      ],
      [{ partialFrameTimeout: 1.5 }, 'partialFrameTimeout', /got 1.5/],
      [{ maxCallsInFlight: 0 }, 'maxCallsInFlight', /from 1 to 1048576, got 0/],
      [{ responseBufferLimit: '64k' }, 'responseBufferLimit', /got "64k"/],
      [{ registry: {} }, 'registry', /registry must be a TypeRegistry/],
      [{ onConnectionError: 'log' }, 'onConnectionError', /must be a function/],
      [{ methods: [add] }, 'methods', /methods must be an object of methods by name/],
      [{ methods: { add: 42 } }, 'method add', /method add must be a function, got 42/],
    ];
    for (const [options, argument, message] of cases) {
      await assert.rejects(
        RpcServer.listen('127.0.0.1:0', options as RpcServerOptions),
        invalid(argument, message),
      );
    }
  });

  it('RpcServer.method refuses an empty name, a non-function and an arity no call can meet', async () => {
    const server = await RpcServer.listen('127.0.0.1:0');
    servers.push(server);
    assert.throws(() => server.method('', add), invalid('name', /non-empty string\), got ""/));
    assert.throws(
      () => server.method('add', 'a + b' as never),
      invalid('method add', /must be a function/),
    );
    assert.throws(
      () => server.method('add', add, { minArgs: -1 }),
      invalid('minArgs', /from 0 up, got -1/),
    );
    assert.throws(
      () => server.method('add', add, { minArgs: 2, maxArgs: 1 }),
      invalid('maxArgs', /from 2 up, got 1/),
    );
    assert.throws(
      () => server.method('add', add, null as never),
      invalid('arity', /arity must be an object/),
    );
    // Any number of arguments is allowed with maxArgs Infinity.
    server.method('sum', (_context: CallContext, ...n: number[]) => n.reduce((a, b) => a + b, 0), {
      minArgs: 0,
      maxArgs: Infinity,
    });
    const client = new RpcClient(server.localEndpoint);
    assert.equal(await client.call('sum', [1, 2, 3, 4]), 10);
    await client.close();
  });

  it('RpcClient refuses unusable options when made', () => {
    const cases: [unknown, string, RegExp][] = [
      [42, 'options', /options must be an object/],
      [{ multiplex: 'yes' }, 'multiplex', /multiplex must be true or false, got "yes"/],
      [{ timeout: -5 }, 'timeout', /timeout must be a number of milliseconds/],
      [{ family: 'IPv5' }, 'family', /family must be 'IPv4' or 'IPv6', got "IPv5"/],
      [{ prefix: 16 }, 'prefix', /got 16/],
      [{ maxMessageSize: 65_536 }, 'maxMessageSize', /with prefix 'uint16be', got 65536/],
      [{ partialFrameTimeout: -1 }, 'partialFrameTimeout', /got -1/],
      [{ registry: new Map() }, 'registry', /a TypeRegistry/],
    ];
    for (const [options, argument, message] of cases) {
      assert.throws(
        () => new RpcClient('127.0.0.1:1', options as RpcClientOptions),
        invalid(argument, message),
      );
    }
  });

  it('RpcClient.call rejects a bad name, arguments, option or unencodable value before sending', async () => {
    const server = await RpcServer.listen('127.0.0.1:0', { methods: { add } });
    servers.push(server);
    const client = new RpcClient(server.localEndpoint, { multiplex: true });
    try {
      const cases: [() => Promise<unknown>, string, RegExp][] = [
        [() => client.call('', []), 'name', /name must be a method name/],
        [() => client.call(7 as never, []), 'name', /got 7/],
        [() => client.call('add', 1 as never), 'args', /args must be an array of arguments/],
        [() => client.call('add', [1, 2], null as never), 'options', /options must be an object/],
        [() => client.call('add', [1, 2], { timeout: Number.NaN }), 'timeout', /got NaN/],
        [
          () => client.call('add', [1, 2], { signal: 'stop' as never }),
          'signal',
          /signal must be an AbortSignal/,
        ],
        [() => client.call('add', [1, () => 2]), 'value', /cannot encode a function/],
        [() => client.call('add', [1, 2n]), 'value', /cannot encode a bigint/],
        [() => client.call('add', [1, Infinity]), 'value', /JSON has no such number/],
        [
          () => client.call('add', [1, new Map()]),
          'value',
          /cannot encode a Map: register a codec/,
        ],
      ];
      for (const [call, argument, message] of cases) {
        await assert.rejects(call(), invalid(argument, message));
      }
      assert.equal(server.streamStats.accepted, 0, 'a refused call connected');
      assert.equal(await client.call('add', [1, 2]), 3);
    } finally {
      await client.close();
    }
  });

  it('the presentation types refuse what they cannot stand for', () => {
    assert.throws(
      () => new TypeRegistry({ maxDepth: 0 }),
      invalid('maxDepth', /from 1 to 10000, got 0/),
    );
    assert.throws(() => rpcRegistry({ maxDepth: 1e6 }), invalid('maxDepth', /got 1000000/));
    const registry = new TypeRegistry();
    assert.throws(
      () =>
        registry.register({ name: '', type: Date, encode: () => ({}), decode: () => new Date() }),
      invalid('codec.name', /non-empty string/),
    );
    assert.throws(
      () => registry.register({ name: 'Thing', encode: () => ({}), decode: () => null }),
      invalid('codec Thing', /needs a type \(a class\) or an is\(\) predicate/),
    );
    assert.throws(
      () => registry.register({ name: 'Thing', type: Date, decode: () => new Date() } as never),
      invalid('codec Thing.encode', /must be a function/),
    );
    assert.throws(() => new RawJson('{"a":'), invalid('text', /text must be JSON: /));
    assert.throws(() => new RawJson(5 as never), invalid('text', /JSON text, got 5/));
    assert.throws(
      () => registry.encode(new RawJson('1')),
      invalid('value', /RawJson can only be sent with stringify/),
    );
    assert.throws(
      () => new DateTime('tomorrow'),
      invalid('text', /not an ISO 8601 date and time: "tomorrow"/),
    );
    assert.throws(
      () => DateTime.fromDate(new Date(Number.NaN)),
      invalid('date', /date must be a valid Date, got an invalid Date/),
    );
    assert.throws(
      () => new TimeDelta(Infinity),
      invalid('seconds', /finite number of seconds, got Infinity/),
    );
    assert.throws(() => new TimeDelta('1h' as never), invalid('seconds', /got "1h"/));
  });

  it('serveUsers refuses unusable secure, secret and maxUsers options', async () => {
    const cases: [UsersServerOptions, string, RegExp][] = [
      [{ secure: 1 as never }, 'secure', /secure must be true or false, got 1/],
      [{ secret: 'key' as never }, 'secret', /secret must be a Buffer of key bytes, got "key"/],
      [{ secret: Buffer.alloc(0) }, 'secret', /at least one byte, got an empty one/],
      [{ maxUsers: 0 }, 'maxUsers', /maxUsers must be an integer from 1 up, got 0/],
    ];
    for (const [options, argument, message] of cases) {
      await assert.rejects(serveUsers('127.0.0.1:0', options), invalid(argument, message));
    }
  });
});
