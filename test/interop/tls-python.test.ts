import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateError, StreamSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { dsock, python, readyPort } from '../helpers/child.js';

let lab: string;
let stranger: string;

before(async () => {
  lab = mkdtempSync(join(tmpdir(), 'dsock-tls-'));
  stranger = mkdtempSync(join(tmpdir(), 'dsock-tls-'));
  for (const dir of [lab, stranger]) {
    const made = dsock(['tls', 'cert', '--host', 'localhost', '127.0.0.1', '--out', dir]);
    try {
      assert.equal(await made.exitCode(), 0, made.stderr);
    } finally {
      await made.close();
    }
  }
});

after(() => {
  rmSync(lab, { recursive: true, force: true });
  rmSync(stranger, { recursive: true, force: true });
});

describe("TLS interop with Python's ssl module", () => {
  it('a Python TLS client talks to dsock echo server --tls, and checks its certificate', async () => {
    const server = dsock([
      'echo',
      'server',
      0,
      '--host',
      '127.0.0.1',
      '--tls',
      '--cert',
      join(lab, 'cert.pem'),
      '--key',
      join(lab, 'key.pem'),
    ]);
    try {
      const port = Number((await server.stderrMatch(/listening on 127\.0\.0\.1:(\d+)/))[1]);
      const client = python('tls_peer.py', [
        'client',
        '127.0.0.1',
        port,
        join(lab, 'cert.pem'),
        'localhost',
        'héllo over TLS',
      ]);
      try {
        const answer = JSON.parse(await client.nextLine()) as Record<string, string>;
        assert.equal(answer.echo, 'héllo over TLS');
        assert.match(answer.version ?? '', /^TLSv1\.[23]$/);
        assert.equal(answer.subject, 'localhost');
        assert.equal(await client.exitCode(), 0);
      } finally {
        await client.close();
      }
      // The same server, to a Python client that trusts another certificate: refused.
      const doubter = python('tls_peer.py', [
        'client',
        '127.0.0.1',
        port,
        join(stranger, 'cert.pem'),
        'localhost',
        'x',
      ]);
      try {
        const answer = JSON.parse(await doubter.nextLine()) as Record<string, string>;
        assert.equal(answer.error, 'certificate');
        assert.match(answer.reason ?? '', /self[- ]signed/);
        assert.equal(await doubter.exitCode(), 3);
      } finally {
        await doubter.close();
      }
    } finally {
      await server.close();
    }
  });

  it("dsock's TLS client talks to a Python TLS server", async () => {
    const server = python('tls_peer.py', ['server', join(lab, 'cert.pem'), join(lab, 'key.pem')]);
    try {
      const port = await readyPort(server);
      const ca = readFileSync(join(lab, 'cert.pem'), 'utf8');
      const socket = await within(
        StreamSocket.connect(
          { host: '127.0.0.1', port },
          { tls: { ca, servername: 'localhost' }, timeout: 5000 },
        ),
        10_000,
        'connect',
      );
      try {
        await socket.sendAll('hello python');
        assert.equal(String(await socket.recvExactly(12, { timeout: 5000 })), 'HELLO PYTHON');
        assert.equal(socket.tls?.peerCertificate?.subject.CN, 'localhost');
        await socket.shutdown('write');
        const done = JSON.parse(await server.nextLine()) as Record<string, string>;
        assert.match(done.version ?? '', /^TLSv1\.[23]$/);
      } finally {
        await socket.close();
      }
      assert.equal(await server.exitCode(), 0);
    } finally {
      await server.close();
    }
  });

  it("dsock refuses the Python server's self-signed certificate without --ca: one line, exit 1", async () => {
    const server = python('tls_peer.py', ['server', join(lab, 'cert.pem'), join(lab, 'key.pem')]);
    try {
      const port = await readyPort(server);
      await assert.rejects(
        StreamSocket.connect(
          { host: '127.0.0.1', port },
          { tls: { servername: 'localhost' }, timeout: 5000 },
        ),
        (error: unknown) => error instanceof CertificateError && error.problem === 'self-signed',
      );
    } finally {
      await server.close();
    }
    const again = python('tls_peer.py', ['server', join(lab, 'cert.pem'), join(lab, 'key.pem')]);
    try {
      const port = await readyPort(again);
      const client = dsock(['echo', 'client', `localhost:${port}`, '--tls', '--timeout', 10]);
      try {
        client.endInput();
        assert.equal(await client.exitCode(), 1);
        assert.equal(client.stderrLines.length, 1, client.stderr);
        assert.match(client.stderr, /^dsock echo client: .*certificate refused: it is self-signed/);
        assert.doesNotMatch(client.stderr, /\n|at .*\.js/);
      } finally {
        await client.close();
      }
    } finally {
      await again.close();
    }
  });
});
