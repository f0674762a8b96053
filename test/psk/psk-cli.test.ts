import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dsock } from '../helpers/child.js';
import { dsockEach } from '../helpers/dsock-batch.js';

let dir: string;
let keyA: string;
let keyB: string;

async function keygen(file: string): Promise<string> {
  const child = dsock(['keygen']);
  try {
    const line = await child.nextLine();
    assert.equal(await child.exitCode(), 0);
    assert.match(line, /^[0-9a-f]{64}$/);
    writeFileSync(file, `${line}\n`);
    return line;
  } finally {
    await child.close();
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dsock-psk-'));
  keyA = join(dir, 'a.psk');
  keyB = join(dir, 'b.psk');
  const a = await keygen(keyA);
  const b = await keygen(keyB);
  assert.notEqual(a, b, 'two keys differ');
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('--psk on the datagram commands', () => {
  for (const reliable of [false, true]) {
    const mode = reliable ? ' --reliable' : '';
    it(`stream udp and sink udp with the same key${mode}: every message counted, nothing in clear`, async () => {
      // A plain UDP relay in front of the sink records what crosses the wire.
      const seen: Buffer[] = [];
      const relay = createSocket('udp4');
      const sink = dsock([
        'sink',
        'udp',
        0,
        '--host',
        '127.0.0.1',
        '--psk',
        keyA,
        '--expect',
        200,
        '--idle-timeout',
        5,
        ...(reliable ? ['--reliable'] : []),
      ]);
      try {
        const sinkPort = Number((await sink.stderrMatch(/listening on 127\.0\.0\.1:(\d+)/))[1]);
        let streamer: { address: string; port: number } | undefined;
        relay.on('message', (data, info) => {
          seen.push(Buffer.from(data));
          if (info.port === sinkPort) {
            if (streamer) relay.send(data, streamer.port, streamer.address);
          } else {
            streamer = info;
            relay.send(data, sinkPort, '127.0.0.1');
          }
        });
        await new Promise<void>((resolve) => relay.bind(0, '127.0.0.1', resolve));
        const via = `127.0.0.1:${relay.address().port}`;
        const stream = dsock([
          'stream',
          'udp',
          200,
          via,
          '--psk',
          keyA,
          ...(reliable ? ['--reliable'] : []),
          '--rate',
          2000,
        ]);
        try {
          assert.equal(await stream.exitCode(30_000), 0, stream.stderr);
        } finally {
          await stream.close();
        }
        await sink.untilStdout(
          (lines) => lines.some((l) => l.startsWith('out of order')),
          'the summary',
          20_000,
        );
        assert.equal(await sink.exitCode(), 0, sink.stderr);
        const summary = sink.stdoutLines.join('\n');
        if (reliable) assert.match(summary, /^distinct: 200$/m);
        else assert.match(summary, /^distinct: \d+$/m);
        const wire = Buffer.concat(seen);
        assert.ok(wire.length > 200 * 41);
        assert.equal(wire.indexOf('Number'), -1, 'no plaintext on the wire');
        assert.equal(wire.indexOf('Streamer'), -1, 'no plaintext on the wire');
      } finally {
        relay.close();
        await sink.close();
      }
    });
  }

  it('peers with different keys fail clearly: the reliable sender asks about --psk', async () => {
    const sink = dsock([
      'sink',
      'udp',
      0,
      '--host',
      '127.0.0.1',
      '--psk',
      keyA,
      '--reliable',
      '--idle-timeout',
      30,
    ]);
    try {
      const port = Number((await sink.stderrMatch(/listening on 127\.0\.0\.1:(\d+)/))[1]);
      const stream = dsock([
        'stream',
        'udp',
        3,
        `127.0.0.1:${port}`,
        '--psk',
        keyB,
        '--reliable',
        '--peer-timeout',
        1,
      ]);
      try {
        assert.equal(await stream.exitCode(30_000), 1);
        assert.match(stream.stderr, /same pre-shared key \(--psk\)\?/);
      } finally {
        await stream.close();
      }
    } finally {
      await sink.close();
    }
  });

  it('refuses a --psk file that holds no key, naming it (exit 2)', async () => {
    const bad = join(dir, 'bad.psk');
    writeFileSync(bad, 'not a key\n');
    // The command lines run one after another in one process (none of them waits on anything).
    const results = await dsockEach([
      ['stream', 'udp', 1, '127.0.0.1:9', '--psk', bad],
      ['chat', 'udp', 0, '--psk', join(dir, 'missing.psk'), '--name', 'x'],
    ]);
    for (const result of results) {
      const stderr = result.err.join('\n');
      assert.equal(result.code, 2, stderr);
      assert.equal(result.err.length, 1, stderr);
      assert.match(stderr, /--psk/);
      assert.deepEqual(result.leftOpen, []);
    }
  });
});
