import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConnectionResetError,
  FrameTooLargeError,
  MessageStream,
  ProtocolError,
  RpcClient,
  StreamServer,
  TimeoutError,
} from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { heapUsedAfterGc } from '../helpers/resources.js';

const servers: StreamServer[] = [];
after(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/**
 * A server that answers every request with `answer(request)`: raw bytes written after the
 * request frame is read (undefined: say nothing and keep the connection open).
 */
async function hostile(answer: (request: string) => Buffer | 'close' | undefined) {
  const server = await StreamServer.listen('127.0.0.1:0');
  servers.push(server);
  void (async () => {
    for await (const socket of server) {
      void (async () => {
        const stream = new MessageStream(socket, { prefix: 'uint16be' });
        try {
          for await (const frame of stream) {
            const reply = answer(frame.toString('utf8'));
            if (reply === 'close') break;
            if (reply !== undefined) await socket.sendAll(reply);
          }
        } catch {
          // The client went away.
        } finally {
          await stream.close();
        }
      })();
    }
  })();
  return server.localEndpoint;
}

function frame(text: string): Buffer {
  const body = Buffer.from(text);
  const header = Buffer.alloc(2);
  header.writeUInt16BE(body.length);
  return Buffer.concat([header, body]);
}

describe('RpcClient against a server that answers wrongly', () => {
  for (const multiplex of [false, true]) {
    const mode = multiplex ? 'multiplexed' : 'one call per connection';
    it(`rejects an answer that is not a Response with ProtocolError (${mode})`, async () => {
      const cases: [string, RegExp][] = [
        ['{"result": 1, "error": nu', /is not a Response: malformed JSON/],
        [
          '{"username":"x","$type":"User"}',
          /is not a Response: expected a Response, got "\$type" "User"/,
        ],
        [
          '{"result":1,"error":false,"$type":"Response"}',
          /Response: field "error" must be a string or null/,
        ],
        ['[1]', /expected a Response, got an array/],
        [`${'['.repeat(5000)}${']'.repeat(5000)}`, /nests deeper than 64 levels/],
      ];
      for (const [text, message] of cases) {
        const endpoint = await hostile(() => frame(text));
        const client = new RpcClient(endpoint, { multiplex, timeout: 5000 });
        try {
          await assert.rejects(client.call('add', [1, 2]), (error: unknown) => {
            assert.ok(error instanceof ProtocolError, String(error));
            assert.match(error.message, message);
            return true;
          });
        } finally {
          await client.close();
        }
      }
    });

    it(`refuses an answer announced larger than maxMessageSize before reading it (${mode})`, async () => {
      const endpoint = await hostile(() => Buffer.from([0xff, 0xff]));
      const client = new RpcClient(endpoint, { multiplex, maxMessageSize: 1000, timeout: 5000 });
      try {
        await assert.rejects(client.call('add', [1, 2]), FrameTooLargeError);
      } finally {
        await client.close();
      }
    });

    it(`reports a server that hangs up without answering (${mode})`, async () => {
      const endpoint = await hostile(() => 'close');
      const client = new RpcClient(endpoint, { multiplex, timeout: 5000 });
      try {
        await assert.rejects(client.call('add', [1, 2]), (error: unknown) => {
          assert.ok(error instanceof ConnectionResetError, String(error));
          assert.match(error.message, /closed the connection/);
          return true;
        });
      } finally {
        await client.close();
      }
    });

    it(`times out on a server that stops mid-answer (${mode})`, async () => {
      const endpoint = await hostile(() => Buffer.from([0x00, 0x40, 0x7b]));
      const client = new RpcClient(endpoint, { multiplex, timeout: 300 });
      try {
        await assert.rejects(within(client.call('add', [1, 2]), 5000, 'the call'), TimeoutError);
      } finally {
        await client.close();
      }
    });
  }

  it('multiplexed: a server that stops mid-answer loses the connection after partialFrameTimeout, well before the call timeout', async () => {
    const endpoint = await hostile(() => Buffer.from([0x00, 0x40, 0x7b]));
    const client = new RpcClient(endpoint, {
      multiplex: true,
      timeout: 60_000,
      partialFrameTimeout: 300,
    });
    try {
      await assert.rejects(within(client.call('add', [1, 2]), 10_000, 'the call'), (error) => {
        assert.ok(error instanceof TimeoutError, String(error));
        assert.match(error.message, /incomplete for 300 ms/);
        return true;
      });
    } finally {
      await client.close();
    }
  });

  it('multiplexed: drops a flood of answers to calls it never made, and still gets its own', async (t) => {
    const endpoint = await hostile((request) => {
      const { id } = JSON.parse(request) as { id: number };
      const stray = Array.from({ length: 20_000 }, (_, i) =>
        frame(
          JSON.stringify({ result: 'stray', error: null, id: 1_000_000 + i, $type: 'Response' }),
        ),
      );
      return Buffer.concat([
        ...stray,
        frame(JSON.stringify({ result: 'mine', error: null, id, $type: 'Response' })),
      ]);
    });
    const client = new RpcClient(endpoint, { multiplex: true, timeout: 30_000 });
    try {
      const before = heapUsedAfterGc();
      assert.equal(await within(client.call('a', []), 30_000, 'the call'), 'mine');
      const grown = heapUsedAfterGc() - before;
      t.diagnostic(`heap growth after 20,000 stray answers: ${grown} bytes`);
      assert.ok(grown < 4 * 1024 * 1024, `heap grew by ${grown} bytes`);
      assert.equal(await within(client.call('b', []), 30_000, 'the next call'), 'mine');
    } finally {
      await client.close();
    }
  });

  it('multiplexed: a broken answer fails the calls in flight, and the next call connects again', async () => {
    let answers = 0;
    const endpoint = await hostile((request) => {
      answers++;
      if (answers === 1) return frame('not json');
      const { id } = JSON.parse(request) as { id: number };
      return frame(JSON.stringify({ result: 'ok', error: null, id, $type: 'Response' }));
    });
    const client = new RpcClient(endpoint, { multiplex: true, timeout: 5000 });
    try {
      await assert.rejects(client.call('a', []), ProtocolError);
      assert.equal(await client.call('b', []), 'ok');
    } finally {
      await client.close();
    }
  });
});
