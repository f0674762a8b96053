import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RpcClient } from '../../src/index.js';
import { until, within } from '../helpers/bounded.js';
import { heapUsedAfterGc } from '../helpers/resources.js';
import { closeAll, RawPeer, request, serve } from './rpc-support.js';

after(closeAll);

describe('RpcServer limits against a peer that stalls or grows them', () => {
  it('closes a connection that stays silent past idleTimeout', async () => {
    const { server, errors } = await serve({ idleTimeout: 300 });
    const silent = await RawPeer.open(server.localEndpoint.port);
    await silent.closedByServer();
    await until(
      () => server.stats.connections === 0,
      10_000,
      'the idle connection to be forgotten',
    );
    assert.equal(errors.length, 1, errors.map(String).join('; '));
    assert.equal(await new RpcClient(server.localEndpoint).call('add', [1, 2]), 3);
  });

  it('closes a slow-loris connection that trickles a frame a byte at a time past partialFrameTimeout', async (t) => {
    const { server, errors } = await serve({ partialFrameTimeout: 400, idleTimeout: 0 });
    const peer = await RawPeer.open(server.localEndpoint.port);
    const frame = Buffer.from(request('add', [1, 2]));
    const header = Buffer.alloc(2);
    header.writeUInt16BE(frame.length);
    const bytes = Buffer.concat([header, frame]);
    // One byte every 50 ms: each keeps the connection from being idle, none finishes the frame
    // in time (the whole frame would take several seconds).
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < bytes.length && !peer.ended) peer.socket.write(bytes.subarray(sent, ++sent));
    }, 50);
    try {
      await peer.closedByServer(10_000);
    } finally {
      clearInterval(drip);
    }
    t.diagnostic(`bytes of a ${bytes.length}-byte frame sent before the server hung up: ${sent}`);
    assert.ok(sent < bytes.length, `the whole frame (${sent} bytes) went through`);
    assert.match(errors[0]?.message ?? '', /incomplete for 400 ms/);
  });

  it('refuses connections past maxConnections, and serves again once they leave', async () => {
    const { server } = await serve({ maxConnections: 8 });
    const peers = await within(
      Promise.all(Array.from({ length: 40 }, () => RawPeer.open(server.localEndpoint.port))),
      10_000,
      '40 connections',
    );
    await until(
      () => server.streamStats.refusedAtLimit === 32,
      10_000,
      '32 connections refused at the limit',
    );
    await until(
      () => peers.filter((peer) => peer.ended).length === 32,
      10_000,
      'the 32 refused peers to see their connection closed',
    );
    assert.ok(server.streamStats.open <= 8, `${server.streamStats.open} open`);
    // The eight held connections are served; when they leave, newcomers are too.
    const held = peers.filter((peer) => !peer.ended);
    assert.equal(held.length, 8);
    (held[0] as RawPeer).sendFrame(request('add', [2, 2]));
    assert.equal((await (held[0] as RawPeer).response()).result, 4);
    for (const peer of held) peer.socket.destroy();
    await until(() => server.streamStats.open === 0, 10_000, 'the held connections to be let go');
    assert.equal(await new RpcClient(server.localEndpoint).call('add', [1, 2]), 3);
  });

  it('runs at most maxCallsInFlight calls of a connection that floods slow calls, and stops reading it', async (t) => {
    let running = 0;
    const { server } = await serve({
      maxCallsInFlight: 16,
      idleTimeout: 0,
      methods: {
        hold: () => {
          running++;
          return new Promise(() => undefined);
        },
      },
    });
    const peer = await RawPeer.open(server.localEndpoint.port);
    const before = heapUsedAfterGc();
    const hold = request('hold', []);
    const written = await peer.floodUntilStalled(
      hold,
      40_000_000,
      'the flooding client to be stalled',
    );
    const grown = heapUsedAfterGc() - before;
    t.diagnostic(
      `requests written before the server stopped reading: ${Math.round(written / (2 + Buffer.byteLength(hold)))}; ` +
        `calls started: ${running}; heap growth ${grown} bytes`,
    );
    assert.ok(written < 40_000_000, `the server read all ${written} bytes`);
    assert.equal(running, 16);
    assert.ok(grown < 8 * 1024 * 1024, `heap grew by ${grown} bytes`);
    // Other connections are not held up by it.
    assert.equal(await new RpcClient(server.localEndpoint).call('add', [1, 2]), 3);
  });

  it('refuses a frame announced at 4 GiB with the 4-byte prefix without setting memory aside', async () => {
    const { server, errors } = await serve({ prefix: 'uint32be' });
    const before = heapUsedAfterGc();
    const peer = await RawPeer.open(server.localEndpoint.port);
    peer.socket.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7b]));
    await peer.closedByServer();
    const grown = heapUsedAfterGc() - before;
    assert.match(
      errors[0]?.message ?? '',
      /announced a 4294967295-byte message; the limit is 1048576/,
    );
    assert.ok(grown < 1024 * 1024, `heap grew by ${grown} bytes`);
  });

  it('answers JSON nested 100,000 levels deep (a 4-byte-prefix frame) with an error response, and goes on', async () => {
    const { server } = await serve({ prefix: 'uint32be' });
    const peer = await RawPeer.open(server.localEndpoint.port);
    const deepArgs = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    peer.sendFrame(`{"name":"add","args":${deepArgs},"id":1,"$type":"Request"}`, 4);
    const refused = await peer.response(30_000, 4);
    assert.equal(refused.id, 1);
    assert.match(String(refused.error), /^bad request: the message nests deeper than 64 levels/);
    const deepObject = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    peer.sendFrame(
      request('add', [deepObject, 1]).replace(JSON.stringify(deepObject), deepObject),
      4,
    );
    assert.match(String((await peer.response(30_000, 4)).error), /nests deeper than 64 levels/);
    peer.sendFrame(request('add', [2, 3]), 4);
    assert.equal((await peer.response(5000, 4)).result, 5);
  });
});
