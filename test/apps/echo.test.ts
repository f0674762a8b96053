import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { runEchoClient, serveEcho } from '../../src/apps/echo.js';
import { StreamServer, StreamSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { collector } from '../helpers/collector.js';

function chunked(data: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) parts.push(data.subarray(at, at + size));
  return Readable.from(parts);
}

describe('echo server and client', () => {
  it('echo 8 MiB byte for byte, to three clients at once', async () => {
    const server = await StreamServer.listen('127.0.0.1:0');
    const stop = new AbortController();
    let echoed = 0;
    const serving = serveEcho(server, { signal: stop.signal, onEcho: (n) => (echoed += n) });
    try {
      const payloads = [randomBytes(8 << 20), randomBytes(100_000), Buffer.alloc(0)];
      const results = await within(
        Promise.all(
          payloads.map(async (payload) => {
            const socket = await StreamSocket.connect(server.localEndpoint);
            try {
              const out = collector();
              const result = await runEchoClient(socket, chunked(payload, 50_000), out.stream);
              assert.ok(out.bytes().equals(payload), 'the echo differs from what was sent');
              return result;
            } finally {
              await socket.close();
            }
          }),
        ),
        30_000,
        'three echo clients',
      );
      assert.deepEqual(
        results.map((r) => [r.sent, r.received, r.matched]),
        payloads.map((p) => [p.length, p.length, true]),
      );
      assert.equal(
        echoed,
        payloads.reduce((n, p) => n + p.length, 0),
      );
    } finally {
      stop.abort();
      await within(serving, 5000, 'echo server to stop');
    }
  });

  it('with once, stops after the first client leaves and closes the server', async () => {
    const server = await StreamServer.listen('127.0.0.1:0');
    const left: number[] = [];
    const serving = serveEcho(server, { once: true, onDisconnect: (_c, n) => left.push(n) });
    const socket = await StreamSocket.connect(server.localEndpoint);
    try {
      const out = collector();
      const result = await within(
        runEchoClient(socket, Readable.from([Buffer.from('hello')]), out.stream),
        10_000,
        'echo of hello',
      );
      assert.deepEqual(result, { sent: 5, received: 5, matched: true });
      await within(serving, 5000, 'server to stop after one client');
      assert.deepEqual(left, [5]);
      assert.ok(server.closed);
    } finally {
      await socket.close();
      await server.close();
    }
  });

  it('reports a mismatch when the server does not echo', async () => {
    // A server that answers with other bytes than it got: the client must notice.
    const server = await StreamServer.listen('127.0.0.1:0');
    const liar = (async () => {
      const peer = await server.accept({ timeout: 10_000 });
      try {
        for await (const chunk of peer) await peer.sendAll(Buffer.from(chunk).reverse());
        await peer.shutdown('write');
      } finally {
        await peer.close();
      }
    })();
    const socket = await StreamSocket.connect(server.localEndpoint);
    try {
      const result = await within(
        runEchoClient(socket, Readable.from([Buffer.from('abc')]), collector().stream),
        10_000,
        'echo client against a liar',
      );
      assert.equal(result.matched, false);
      await within(liar, 5000, 'liar to finish');
    } finally {
      await socket.close();
      await server.close();
    }
  });
});
