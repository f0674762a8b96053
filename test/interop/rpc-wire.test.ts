import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DateTime, RpcClient, RpcServer, TaggedValue, type CallContext } from '../../src/index.js';
import { python, readyPort, type LineChild } from '../helpers/child.js';

const children: LineChild[] = [];
const servers: RpcServer[] = [];
after(async () => {
  await Promise.all(children.splice(0).map((child) => child.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** The datetime texts of the Python peer's WIRE_SAMPLES, in order, as it wrote them. */
const DATETIME_TEXTS = [
  '2024-02-03T12:15:00.175104',
  '2024-02-03T12:15:00.175104+02:00',
  '2024-02-03 12:15:00',
  '2024-02-03T12:15:00.000001Z',
  '1706962500.175104',
  '1706962500',
  '2024-02-03T12:15:00.100000',
];
const SAMPLE_COUNT = 9;

describe('interop: the wire forms of Python peers pass through dsock unchanged', () => {
  it("dsock's server sends back each value a Python client sent, pretty-printed with \\u escapes: datetime variants, unknown tags, text beyond ASCII", async () => {
    const server = await RpcServer.listen('127.0.0.1:0', {
      methods: { echo: (_context: CallContext, value: unknown) => value },
    });
    servers.push(server);
    const peer = python('rpc_peer.py', ['wire', '127.0.0.1', server.localEndpoint.port]);
    children.push(peer);
    assert.equal(await peer.exitCode(30_000), 0, peer.stderr);
    const steps = peer.stdoutLines.map(
      (line) => JSON.parse(line) as { step: string; same: boolean; error: string | null },
    );
    assert.equal(steps.length, SAMPLE_COUNT, peer.stdoutLines.join('\n'));
    for (const step of steps) {
      assert.equal(step.error, null, step.step);
      assert.equal(step.same, true, `${step.step} came back changed: ${JSON.stringify(step)}`);
    }
  });

  it("dsock's client decodes a Python server's values (datetime text kept to the microsecond, unknown tags kept, \\u escapes read) and sends them back equal", async () => {
    const peer = python('rpc_peer.py', ['serve', '127.0.0.1']);
    children.push(peer);
    const client = new RpcClient(`127.0.0.1:${await readyPort(peer)}`, { timeout: 10_000 });
    try {
      const samples = (await client.call('wire_samples')) as unknown[];
      assert.equal(samples.length, SAMPLE_COUNT);
      const datetimes = samples.slice(0, DATETIME_TEXTS.length);
      assert.deepEqual(
        datetimes.map((value) => (value as DateTime).text),
        DATETIME_TEXTS,
      );
      for (const value of datetimes) assert.ok(value instanceof DateTime);
      // The same instant, whichever form it came in (the naive ones are local time).
      const offset = datetimes[1] as DateTime;
      assert.equal(offset.toDate().toISOString(), '2024-02-03T10:15:00.175Z');
      assert.equal((datetimes[4] as DateTime).epochMilliseconds, 1706962500175.104);
      const widget = samples[7];
      assert.ok(widget instanceof TaggedValue);
      assert.equal(widget.type, 'Widget');
      const part = (widget.fields.parts as unknown[])[0];
      assert.ok(part instanceof TaggedValue && part.type === 'Part');
      assert.deepEqual(samples[8], {
        full_name: 'Jérôme Łukasz 東京 😀',
        plain: { a: [1, 2.5, true, null] },
      });
      assert.equal(await client.call('same_as_samples', [samples]), true);
    } finally {
      await client.close();
    }
  });
});
