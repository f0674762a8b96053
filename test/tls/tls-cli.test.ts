import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dsock } from '../helpers/child.js';
import { dsockEach } from '../helpers/dsock-batch.js';

let lab: string;

before(async () => {
  lab = mkdtempSync(join(tmpdir(), 'dsock-tls-cli-'));
  const made = dsock(['tls', 'cert', '--host', '127.0.0.1', '--out', lab]);
  try {
    assert.equal(await made.exitCode(), 0, made.stderr);
  } finally {
    await made.close();
  }
});

after(() => rmSync(lab, { recursive: true, force: true }));

describe('--tls on chat tcp', () => {
  it('a server and a client chat over TLS; a client that does not trust it is refused in one line', async () => {
    const cert = join(lab, 'cert.pem');
    const server = dsock([
      'chat',
      'tcp',
      'server',
      0,
      '--host',
      '127.0.0.1',
      '--name',
      'Alice',
      '--tls',
      '--cert',
      cert,
      '--key',
      join(lab, 'key.pem'),
    ]);
    try {
      const port = Number(
        (await server.stderrMatch(/waiting for a client on 127\.0\.0\.1:(\d+)/))[1],
      );
      const doubter = dsock([
        'chat',
        'tcp',
        'client',
        `127.0.0.1:${port}`,
        '--name',
        'Eve',
        '--tls',
      ]);
      try {
        assert.equal(await doubter.exitCode(), 1);
        assert.equal(doubter.stderrLines.length, 1, doubter.stderr);
        assert.match(doubter.stderr, /certificate refused: it is self-signed/);
      } finally {
        await doubter.close();
      }
      const client = dsock([
        'chat',
        'tcp',
        'client',
        `127.0.0.1:${port}`,
        '--name',
        'Bob',
        '--tls',
        '--ca',
        cert,
      ]);
      try {
        client.write('hello over TLS\n');
        await server.stdoutMatch(/^\thello over TLS$/, 15_000);
        server.write('hi Bob\n');
        await client.stdoutMatch(/^\thi Bob$/, 15_000);
        client.endInput();
        assert.equal(await client.exitCode(), 0, client.stderr);
        assert.equal(await server.exitCode(), 0, server.stderr);
      } finally {
        await client.close();
      }
    } finally {
      await server.close();
    }
  });

  it('refuses --cert without --tls, and --tls without a certificate on the serving side (exit 2)', async () => {
    const lines = [
      ['chat', 'tcp', 'server', 0, '--cert', 'x.pem', '--name', 'A'],
      ['echo', 'server', 0, '--tls'],
      ['rpc', 'users', 'server', 0, '--tls', '--cert', join(lab, 'cert.pem')],
      ['echo', 'client', '127.0.0.1:9', '--tls', '--ca', join(lab, 'nothing.pem')],
    ];
    // The command lines run one after another in one process (none of them waits on anything).
    const results = await dsockEach(lines);
    for (const [i, result] of results.entries()) {
      const stderr = result.err.join('\n');
      assert.equal(result.code, 2, `${lines[i]?.join(' ')}: ${stderr}`);
      assert.equal(result.err.length, 1, stderr);
      assert.deepEqual(result.leftOpen, [], `${lines[i]?.join(' ')} leaves nothing open`);
    }
  });
});
