import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RpcClient, type CallContext } from '../../src/index.js';
import { until, within } from '../helpers/bounded.js';
import { heapUsedAfterGc } from '../helpers/resources.js';
import { closeAll, RawPeer, request, serve } from './rpc-support.js';

after(closeAll);

describe('RpcServer against malformed requests', () => {
  it('answers each bad request with an error response and goes on serving the connection', async () => {
    const { server } = await serve();
    const peer = await RawPeer.open(server.localEndpoint.port);
    const cases: [string | Buffer, RegExp][] = [
      ['{"name": "add", "args": [1, ', /^bad request: malformed JSON/],
      [Buffer.from([0xff, 0xfe, 0x00]), /^bad request: malformed JSON/],
      [
        '{"name":"add","args":[1,2]}',
        /^bad request: expected a Request, got an object without "\$type"/,
      ],
      [
        '{"name":"add","args":[1,2],"$type":"Reqest"}',
        /^bad request: expected a Request, got "\$type" "Reqest"/,
      ],
      ['{"name":"add","args":[1,2],"$type":5}', /^bad request: "\$type" must be a string/],
      ['[1,2,3]', /^bad request: expected a Request, got an array/],
      ['"add"', /^bad request: expected a Request, got a string/],
      [
        '{"name":"add","args":{"a":1},"$type":"Request"}',
        /^bad request: Request: field "args" must be an array/,
      ],
      ['{"args":[],"$type":"Request"}', /^bad request: Request: field "name" must be a string/],
      [
        request('add', [1, { $type: 'datetime' }]),
        /^bad request: datetime: expected its ISO 8601 text/,
      ],
      [request('nope', []), /^unknown method "nope"$/],
      [request('__proto__', []), /^unknown method "__proto__"$/],
      [request('add', [1, 2, 3]), /^add\(\) takes 2 arguments, 3 given$/],
      [request('add', []), /^add\(\) takes 2 arguments, 0 given$/],
      [
        `${'['.repeat(5000)}${']'.repeat(5000)}`,
        /^bad request: the message nests deeper than 64 levels/,
      ],
    ];
    for (const [body, expected] of cases) {
      peer.sendFrame(body);
      const response = await peer.response();
      assert.equal(response.$type, 'Response', String(body));
      assert.equal(response.result, null);
      assert.match(String(response.error), expected, String(body));
    }
    peer.sendFrame(request('add', [2, 3]));
    assert.deepEqual(await peer.response(), { result: 5, error: null, $type: 'Response' });
  });

  it('echoes the id of a bad request that has one, so a multiplexing client can match it', async () => {
    const { server } = await serve();
    const peer = await RawPeer.open(server.localEndpoint.port);
    peer.sendFrame('{"name":"add","args":7,"id":12,"$type":"Request"}');
    const response = await peer.response();
    assert.equal(response.id, 12);
    assert.match(String(response.error), /field "args" must be an array/);
  });
});

describe('RpcServer against frames and peers that misbehave', () => {
  it('closes a connection that announces a frame over maxMessageSize, and serves the others', async () => {
    const { server, errors } = await serve({ maxMessageSize: 1000 });
    const peer = await RawPeer.open(server.localEndpoint.port);
    peer.socket.write(Buffer.from([0x13, 0x88])); // 5000 bytes announced
    await peer.closedByServer();
    assert.match(errors[0]?.message ?? '', /peer announced a 5000-byte message; the limit is 1000/);
    assert.equal(await new RpcClient(server.localEndpoint).call('add', [1, 2]), 3);
  });

  it('closes a connection that leaves a frame unfinished past partialFrameTimeout', async () => {
    const { server, errors } = await serve({ partialFrameTimeout: 300 });
    const peer = await RawPeer.open(server.localEndpoint.port);
    peer.socket.write(Buffer.concat([Buffer.from([0x00, 0x40]), Buffer.from('{"name":')]));
    await peer.closedByServer();
    assert.match(errors[0]?.message ?? '', /left a message incomplete for 300 ms/);
  });

  it('forgets a peer that vanishes mid-frame', async () => {
    const { server } = await serve();
    for (let i = 0; i < 20; i++) {
      const peer = await RawPeer.open(server.localEndpoint.port);
      peer.socket.write(Buffer.concat([Buffer.from([0x01, 0x00]), Buffer.from('{"name":"a')]));
      if (i % 2 === 0) peer.socket.resetAndDestroy();
      else peer.socket.destroy();
    }
    await until(
      () => server.stats.connections === 0 && server.streamStats.accepted >= 20,
      5000,
      'every vanished peer to be forgotten',
    );
    assert.equal(await new RpcClient(server.localEndpoint).call('add', [1, 2]), 3);
  });

  it('stops reading from a client that sends requests and never reads the answers, within bounded memory', async (t) => {
    // Requests of a kilobyte, each echoed: the server's queue and the kernel's buffers fill with
    // a twentieth of the calls that requests of 60 bytes would take to fill them.
    const text = 'x'.repeat(1000);
    const echo = (_context: CallContext, said: string) => said;
    const { server } = await serve({ idleTimeout: 0, methods: { echo } });
    const peer = await RawPeer.open(server.localEndpoint.port);
    peer.socket.pause();
    const before = heapUsedAfterGc();
    // 40 MB of requests, each answered with as many bytes, none of them read.
    const written = await peer.floodUntilStalled(
      request('echo', [text]),
      40_000_000,
      'the client to be stalled',
    );
    assert.ok(written < 40_000_000, `the server read all ${written} bytes without being read`);
    const grown = heapUsedAfterGc() - before;
    t.diagnostic(`taken from the unread client: ${written} bytes; heap growth ${grown} bytes`);
    assert.ok(grown < 8 * 1024 * 1024, `heap grew by ${grown} bytes`);
    // Reading resumes the server: answers come, in order.
    peer.socket.resume();
    const first = await peer.response();
    assert.deepEqual(first, { result: text, error: null, $type: 'Response' });
    // Gone, the client leaves nothing: the server stops answering the megabytes of requests
    // still queued for it (work that would otherwise go on through the tests after this one).
    peer.socket.destroy();
    await until(() => server.stats.connections === 0, 10_000, 'the server to let the client go');
  });

  it('serves 1,000 clients at once, each its answer, within bounded memory', async (t) => {
    // A backlog for the burst: a thousand SYNs at once would overflow Node's default 511, and
    // the ones dropped would be retried by the kernel a second or more later.
    const { server } = await serve({ backlog: 1024 });
    const before = heapUsedAfterGc();
    const peers = await within(
      Promise.all(
        Array.from({ length: 1000 }, () => RawPeer.open(server.localEndpoint.port, 30_000)),
      ),
      30_000,
      '1,000 connections',
    );
    peers.forEach((peer, i) => peer.sendFrame(request('add', [i, 1])));
    const answers = await within(
      // One deadline for all: on a loaded machine a thousand answers take a while.
      Promise.all(peers.map((peer) => peer.response(30_000))),
      30_000,
      '1,000 answers',
    );
    answers.forEach((answer, i) => assert.equal(answer.result, i + 1));
    assert.equal(server.stats.connections, 1000);
    assert.equal(server.streamStats.droppedQueueFull + server.streamStats.refusedAtLimit, 0);
    const grown = heapUsedAfterGc() - before;
    t.diagnostic(`heap growth with 1,000 connections open, both ends: ${grown} bytes`);
    // Both ends live in this process: about 1,000 client and 1,000 server sockets.
    assert.ok(grown < 64 * 1024 * 1024, `heap grew by ${grown} bytes for 1,000 connections`);
    for (const peer of peers) peer.socket.destroy();
    await until(() => server.stats.connections === 0, 10_000, 'the server to let the 1,000 go');
  });
});
