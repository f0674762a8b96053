import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import {
  CertificateError,
  type CertificateAndKey,
  type ConnectionRefusal,
  createSelfSignedCertificate,
  InvalidArgumentError,
  MessageStream,
  StreamServer,
  StreamSocket,
  TimeoutError,
  TlsHandshakeError,
} from '../../src/index.js';
import { within } from '../helpers/bounded.js';

let lab: CertificateAndKey;
let other: CertificateAndKey;

before(async () => {
  lab = await createSelfSignedCertificate({ hosts: ['localhost', '127.0.0.1', '::1'] });
  other = await createSelfSignedCertificate({ hosts: ['localhost'] });
});

/** Listens with TLS, runs `body`, closes the server. */
async function withServer(
  tls: Parameters<typeof StreamServer.listen>[1],
  body: (server: StreamServer) => Promise<void>,
): Promise<void> {
  const server = await within(StreamServer.listen('127.0.0.1:0', tls), 5000, 'listen');
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

async function refusal(promise: Promise<unknown>): Promise<CertificateError> {
  const error = await within(
    promise.then(
      () => assert.fail('the connection should have been refused'),
      (e: unknown) => e,
    ),
    10_000,
    'refusal',
  );
  assert.ok(error instanceof CertificateError, `a CertificateError, got ${String(error)}`);
  return error;
}

describe('TLS streams', () => {
  it('carries bytes both ways, and shows the peer certificate, protocol and ALPN', async () => {
    await withServer(
      { tls: { cert: lab.cert, key: lab.key, alpn: ['dsock-test'] } },
      async (server) => {
        const tls = { ca: lab.cert, servername: 'localhost', alpn: ['other', 'dsock-test'] };
        const client = await within(
          StreamSocket.connect(server.localEndpoint, { tls, timeout: 5000 }),
          10_000,
          'connect',
        );
        const peer = await server.accept({ timeout: 5000 });
        try {
          await client.sendAll('hello over TLS');
          assert.equal(String(await peer.recvExactly(14, { timeout: 5000 })), 'hello over TLS');
          await peer.sendAll('and back');
          assert.equal(String(await client.recvExactly(8, { timeout: 5000 })), 'and back');
          const session = client.tls;
          assert.ok(session !== undefined);
          assert.equal(session.authorized, true);
          assert.equal(session.alpnProtocol, 'dsock-test');
          assert.match(session.protocol, /^TLSv1\.[23]$/);
          assert.equal(session.peerCertificate?.subject.CN, 'localhost');
          assert.equal(peer.tls?.alpnProtocol, 'dsock-test');
          // Half-close works as over TCP: the peer reads end of stream after the data.
          await client.shutdown('write');
          assert.equal((await peer.recv(10, { timeout: 5000 })).length, 0);
          await peer.sendAll('after');
          assert.equal(String(await client.recvExactly(5, { timeout: 5000 })), 'after');
        } finally {
          await client.close();
          await peer.close();
        }
      },
    );
  });

  it('checks the certificate against the IP address connected to when no name is given', async () => {
    await withServer({ tls: { cert: lab.cert, key: lab.key } }, async (server) => {
      const client = await StreamSocket.connect(server.localEndpoint, {
        tls: { ca: lab.cert },
        timeout: 5000,
      });
      await client.close();
      // `other` names only localhost, not 127.0.0.1.
    });
    await withServer({ tls: { cert: other.cert, key: other.key } }, async (server) => {
      const error = await refusal(
        StreamSocket.connect(server.localEndpoint, { tls: { ca: other.cert }, timeout: 5000 }),
      );
      assert.equal(error.problem, 'wrong name');
    });
  });

  it('refuses a self-signed certificate that is not trusted, saying so', async () => {
    await withServer({ tls: { cert: lab.cert, key: lab.key } }, async (server) => {
      const error = await refusal(
        StreamSocket.connect(server.localEndpoint, {
          tls: { servername: 'localhost' },
          timeout: 5000,
        }),
      );
      assert.equal(error.problem, 'self-signed');
      assert.equal(error.code, 'ERR_TLS_CERTIFICATE');
      assert.match(error.message, /self-signed/);
      assert.match(error.message, /--ca/);
    });
  });

  it('refuses a certificate for another name, signed by another authority, or expired', async () => {
    await withServer({ tls: { cert: lab.cert, key: lab.key } }, async (server) => {
      const wrongName = await refusal(
        StreamSocket.connect(server.localEndpoint, {
          tls: { ca: lab.cert, servername: 'example.org' },
          timeout: 5000,
        }),
      );
      assert.equal(wrongName.problem, 'wrong name');
      const unknownCa = await refusal(
        StreamSocket.connect(server.localEndpoint, {
          tls: { ca: other.cert, servername: 'localhost' },
          timeout: 5000,
        }),
      );
      assert.ok(
        unknownCa.problem === 'self-signed' || unknownCa.problem === 'unknown CA',
        unknownCa.problem,
      );
    });
    const expired = await createSelfSignedCertificate({
      hosts: ['localhost'],
      validFrom: new Date(Date.now() - 10 * 86_400_000),
      days: 2,
    });
    await withServer({ tls: { cert: expired.cert, key: expired.key } }, async (server) => {
      const error = await refusal(
        StreamSocket.connect(server.localEndpoint, {
          tls: { ca: expired.cert, servername: 'localhost' },
          timeout: 5000,
        }),
      );
      assert.equal(error.problem, 'expired');
    });
  });

  it('connects without verification when asked, and says why the certificate would fail', async () => {
    await withServer({ tls: { cert: lab.cert, key: lab.key } }, async (server) => {
      const client = await StreamSocket.connect(server.localEndpoint, {
        tls: { rejectUnauthorized: false },
        timeout: 5000,
      });
      try {
        assert.equal(client.tls?.authorized, false);
        assert.match(client.tls?.authorizationError ?? '', /SELF_SIGNED/);
      } finally {
        await client.close();
      }
    });
  });

  it('reports a client that does not speak TLS, and one that stalls, as refused handshakes', async () => {
    const refusals: ConnectionRefusal[] = [];
    await withServer(
      {
        tls: { cert: lab.cert, key: lab.key, handshakeTimeout: 1000 },
        onRefused: (r) => refusals.push(r),
      },
      async (server) => {
        const plain = netConnect(server.localEndpoint.port, '127.0.0.1');
        const stalled = netConnect(server.localEndpoint.port, '127.0.0.1');
        try {
          await new Promise<void>((resolve) => plain.once('connect', resolve));
          plain.write('GET / HTTP/1.0\r\n\r\n');
          await within(
            new Promise<void>((resolve) => stalled.once('close', () => resolve())),
            10_000,
            'the stalled client to be closed after the handshake timeout',
          );
          assert.equal(server.stats.tlsHandshakeFailures, 2);
          assert.equal(server.stats.accepted, 0);
          assert.ok(refusals.every((r) => r.reason === 'tls handshake failed'));
          assert.ok(
            refusals.every((r) => r.error instanceof TlsHandshakeError),
            String(refusals[0]?.error),
          );
          assert.ok(refusals.some((r) => /timed out/.test(r.error?.message ?? '')));
          // A good client still gets through.
          const client = await StreamSocket.connect(server.localEndpoint, {
            tls: { ca: lab.cert, servername: 'localhost' },
            timeout: 5000,
          });
          try {
            const accepted = await server.accept({ timeout: 5000 });
            assert.equal(accepted.remoteEndpoint.port, client.localEndpoint.port);
            await accepted.close();
          } finally {
            await client.close();
          }
        } finally {
          plain.destroy();
          stalled.destroy();
        }
      },
    );
  });

  it('rejects, in a process that has not loaded TLS yet, a connect that the server resets at once', async () => {
    // The first TLS connect of a process loads node:tls: once connected, no turn of the event
    // loop may pass before the handshake listens, or a reset then is an uncaught error.
    const program = `
      import net from 'node:net';
      const { StreamSocket } = await import(${JSON.stringify(new URL('../../src/index.js', import.meta.url).href)});
      const server = net.createServer((s) => setTimeout(() => s.resetAndDestroy(), 0));
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        await StreamSocket.connect('127.0.0.1:' + server.address().port, { tls: true, timeout: 5000 });
        console.log('connected');
      } catch (error) {
        console.log('rejected ' + error.name);
      } finally {
        server.close();
      }`;
    for (let run = 0; run < 3; run++) {
      const { stdout } = await execFileAsync(
        process.execPath,
        ['--input-type=module', '-e', program],
        { timeout: 20_000 },
      );
      assert.equal(stdout.trim(), 'rejected TlsHandshakeError');
    }
  });

  const execFileAsync = promisify(execFile);

  it('bounds the client handshake by the connect timeout', async () => {
    // A plain TCP server that never answers the ClientHello.
    const server = await StreamServer.listen('127.0.0.1:0');
    try {
      const error = await within(
        StreamSocket.connect(server.localEndpoint, { tls: true, timeout: 300 }).then(
          () => assert.fail('connected'),
          (e: unknown) => e,
        ),
        5000,
        'the handshake timeout',
      );
      assert.ok(error instanceof TimeoutError, String(error));
    } finally {
      await server.close();
    }
  });

  it('runs MessageStream over TLS unchanged', async () => {
    await withServer({ tls: { cert: lab.cert, key: lab.key } }, async (server) => {
      const client = await StreamSocket.connect(server.localEndpoint, {
        tls: { ca: lab.cert, servername: 'localhost' },
        timeout: 5000,
      });
      const peer = await server.accept({ timeout: 5000 });
      const a = new MessageStream(client);
      const b = new MessageStream(peer);
      try {
        const big = Buffer.alloc(300_000, 7);
        await a.send('first');
        await a.send(big);
        assert.equal(String(await b.recv({ timeout: 5000 })), 'first');
        assert.deepEqual(await b.recv({ timeout: 5000 }), big);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });

  it('refuses bad TLS options with InvalidArgumentError', async () => {
    await assert.rejects(
      StreamServer.listen('127.0.0.1:0', { tls: { cert: lab.cert } as never }),
      InvalidArgumentError,
    );
    await assert.rejects(
      StreamSocket.connect('127.0.0.1:9', { tls: { alpn: [] } }),
      (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'alpn',
    );
    await assert.rejects(
      createSelfSignedCertificate({ hosts: ['not a host!'] }),
      InvalidArgumentError,
    );
  });
});
