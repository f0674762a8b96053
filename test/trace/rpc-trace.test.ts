import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dsock, type LineChild } from '../helpers/child.js';
import { mergeTraces, readTrace } from '../../src/index.js';
import { assertCausal, shifted, traceDir } from './scratch.js';

describe('a traced RPC call', () => {
  it('draws the connection, the call and its reply between client and server', async () => {
    const children: LineChild[] = [];
    const dir = await traceDir();
    try {
      const server = dsock([
        'rpc',
        'users',
        'server',
        0,
        '--host',
        '127.0.0.1',
        '--trace',
        dir.file('server.jsonl'),
      ]);
      children.push(server);
      const port = (await server.stderrMatch(/listening on 127\.0\.0\.1:(\d+)$/))[1];
      const client = dsock([
        'rpc',
        'users',
        'client',
        `127.0.0.1:${port}`,
        'check',
        '-u',
        'nobody',
        '-p',
        'pw',
        '--trace',
        dir.file('client.jsonl'),
      ]);
      children.push(client);
      const code = await client.exitCode();
      assert.ok(code === 0 || code === 1, client.stderr);
      server.process.kill('SIGINT');
      await server.exitCode();

      const client0 = readTrace(dir.file('client.jsonl'));
      const server0 = readTrace(dir.file('server.jsonl'));
      assert.ok(
        client0.some((e) => e.event === 'rpc:call' && e.detail === 'check_password'),
        JSON.stringify(client0.map((e) => e.detail)),
      );
      assert.ok(server0.some((e) => e.event === 'rpc:reply'));
      // The server's clock ten seconds behind changes nothing of what causes what.
      for (const diagram of [
        mergeTraces([client0, server0]),
        mergeTraces([client0, shifted(server0, -10_000)]),
      ]) {
        const connect = diagram.arrows.find((a) => a.event.event === 'stream:connect');
        assert.ok(
          connect && connect.from === 0 && connect.to === 1 && !connect.lost,
          'connect pairs with accept',
        );
        const messages = diagram.arrows.filter((a) => a.event.event === 'framing:out');
        assert.deepEqual(
          messages.map((a) => [a.from, a.to, a.lost]),
          [
            [0, 1, false],
            [1, 0, false],
          ],
        );
        const [call, reply] = messages;
        assert.ok(
          (call?.receiveRow as number) < (reply?.sendRow as number),
          'the reply is sent after the call arrived',
        );
        assertCausal(diagram);
      }
    } finally {
      await Promise.all(children.map((c) => c.close()));
      await dir.remove();
    }
  });
});
