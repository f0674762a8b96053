import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { DatagramSocket } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { dsock } from '../helpers/child.js';
import { dsockEach } from '../helpers/dsock-batch.js';

/** Random bytes that surely hold 0xFF, 0x00, a newline and a byte that is not UTF-8. */
function binary(size: number): Buffer {
  const data = randomBytes(size);
  data.set([0xff, 0x00, 0x0a, 0xc3, 0x28, 0xfe], 0);
  return data;
}

/** Runs `dsock udp send ARGS` with `input` on stdin; its exit status and stderr lines. */
async function send(args: string[], input: Buffer | string = '') {
  const child = dsock(['udp', 'send', ...args]);
  try {
    child.process.stdin.end(input);
    const code = await child.exitCode();
    return { code, err: child.stderrLines };
  } finally {
    await child.close();
  }
}

/**
 * Sends a marker to `receiver` and checks that it is the first datagram there: what a finished
 * `dsock udp send` sent before it would have arrived first.
 */
async function nothingArrivedBefore(receiver: DatagramSocket): Promise<void> {
  await using marker = await DatagramSocket.bind('127.0.0.1:0');
  await marker.sendTo('marker', receiver.localEndpoint);
  const first = await receiver.recvFrom(65536, { timeout: 10_000 });
  assert.equal(first.data.toString(), 'marker');
}

describe('dsock udp send and listen carry any bytes', () => {
  it('send --raw sends all of stdin, unchanged, as one datagram', async () => {
    await using receiver = await DatagramSocket.bind('127.0.0.1:0');
    const data = binary(3000);
    const result = await send([`127.0.0.1:${receiver.localEndpoint.port}`, '--raw'], data);
    assert.equal(result.code, 0, result.err.join('\n'));
    const got = await receiver.recvFrom(65536, { timeout: 10_000 });
    assert.ok(got.data.equals(data), 'the datagram is stdin, byte for byte');
    assert.match(result.err.join('\n'), /sent 1 datagram to/);
  });

  it('send --hex sends the bytes each argument or line spells', async () => {
    await using receiver = await DatagramSocket.bind('127.0.0.1:0');
    const target = `127.0.0.1:${receiver.localEndpoint.port}`;
    const data = binary(200);
    const spaced = data.toString('hex').replace(/(..)/g, '$1 ');
    assert.equal((await send([target, '--hex', data.toString('hex'), spaced])).code, 0);
    for (let i = 0; i < 2; i++) {
      assert.ok((await receiver.recvFrom(65536, { timeout: 10_000 })).data.equals(data));
    }
    const lines = await send([target, '--hex'], 'ff00\nFFFE\n');
    assert.equal(lines.code, 0, lines.err.join('\n'));
    assert.deepEqual(
      (await receiver.recvFrom(100, { timeout: 10_000 })).data,
      Buffer.from([0xff, 0]),
    );
    assert.deepEqual(
      (await receiver.recvFrom(100, { timeout: 10_000 })).data,
      Buffer.from([0xff, 0xfe]),
    );
  });

  it('listen writes each datagram to stdout byte for byte, then a newline', async () => {
    const child = spawn(
      process.execPath,
      ['bin/dsock.js', 'udp', 'listen', '0', '--host', '127.0.0.1'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise((resolve) => child.once('close', resolve));
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      let stderr = '';
      const grew: (() => void)[] = [];
      child.stdout.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        grew.splice(0).forEach((wake) => wake());
      });
      const port = await within(
        new Promise<number>((resolve) => {
          child.stderr.on('data', (chunk: Buffer) => {
            stderr += chunk.toString();
            const match = /listening on .*:(\d+)\n/.exec(stderr);
            if (match) resolve(Number(match[1]));
          });
        }),
        10_000,
        'udp listen to bind',
      );
      const data = binary(1500);
      await using sender = await DatagramSocket.bind('127.0.0.1:0');
      await sender.sendTo(data, { host: '127.0.0.1', port });
      const deadline = performance.now() + 10_000;
      while (size < data.length + 1 && performance.now() < deadline) {
        await within(new Promise<void>((wake) => grew.push(wake)), 10_000, 'udp listen output');
      }
      assert.ok(Buffer.concat(chunks).equals(Buffer.concat([data, Buffer.from('\n')])));
    } finally {
      child.kill('SIGKILL');
      await within(exited, 5_000, 'udp listen to exit');
    }
  });

  it('send --raw into listen --hex round-trips random bytes, 0xFF included', async () => {
    const listener = dsock(['udp', 'listen', '0', '--host', '127.0.0.1', '--hex']);
    try {
      const port = Number((await listener.stderrMatch(/listening on .*:(\d+)$/))[1]);
      const data = binary(4000);
      const sent = await send([`127.0.0.1:${port}`, '--raw'], data);
      assert.equal(sent.code, 0, sent.err.join('\n'));
      const line = await listener.nextLine();
      assert.ok(Buffer.from(line, 'hex').equals(data));
      // ... and the hexadecimal line goes back through send --hex unchanged.
      assert.equal((await send([`127.0.0.1:${port}`, '--hex'], `${line}\n`)).code, 0);
      assert.equal(await listener.nextLine(), line);
    } finally {
      await listener.close();
    }
  });
});

describe('dsock udp send exit status', () => {
  it('a 100 KB line is not sent: exit 1 and a message that says why', async () => {
    await using receiver = await DatagramSocket.bind('127.0.0.1:0');
    const result = await send(
      [`127.0.0.1:${receiver.localEndpoint.port}`],
      `${'a'.repeat(100_000)}\n`,
    );
    assert.equal(result.code, 1);
    assert.match(
      result.err.join('\n'),
      /^dsock udp send: not sent: datagram of 100000 bytes .* larger than the IPv4 maximum of 65507 bytes/m,
    );
    await nothingArrivedBefore(receiver);
  });

  it('a line too large among others: the others are sent, exit 1', async () => {
    await using receiver = await DatagramSocket.bind('127.0.0.1:0');
    const result = await send(
      [`127.0.0.1:${receiver.localEndpoint.port}`],
      `one\n${'b'.repeat(70_000)}\ntwo\n`,
    );
    assert.equal(result.code, 1);
    assert.equal((await receiver.recvFrom(100, { timeout: 10_000 })).data.toString(), 'one');
    assert.equal((await receiver.recvFrom(100, { timeout: 10_000 })).data.toString(), 'two');
    assert.match(result.err.join('\n'), /sent 2 datagrams to/);
  });

  it('--raw with more stdin than a datagram carries: exit 1, nothing sent', async () => {
    await using receiver = await DatagramSocket.bind('127.0.0.1:0');
    const result = await send(
      [`127.0.0.1:${receiver.localEndpoint.port}`, '--raw'],
      Buffer.alloc(70_000),
    );
    assert.equal(result.code, 1);
    assert.match(result.err.join('\n'), /not sent: stdin holds more than 65536 bytes/);
    await nothingArrivedBefore(receiver);
  });

  it('a line of stdin that is not hexadecimal under --hex: exit 1, the rest is sent', async () => {
    await using receiver = await DatagramSocket.bind('127.0.0.1:0');
    const result = await send([`127.0.0.1:${receiver.localEndpoint.port}`, '--hex'], 'zz\n41\n');
    assert.equal(result.code, 1);
    assert.match(result.err.join('\n'), /not sent: line 1: "zz" is not hexadecimal/);
    assert.equal((await receiver.recvFrom(100, { timeout: 10_000 })).data.toString(), 'A');
  });

  it('usage errors of --raw and --hex exit 2 before anything is sent', async () => {
    const lines = [
      ['127.0.0.1:9', '--raw', 'text'],
      ['127.0.0.1:9', '--raw', '--hex'],
      ['127.0.0.1:9', '--hex', '41', 'xyz'],
      ['127.0.0.1:9', '--hex', '414'],
    ];
    const results = await dsockEach(lines.map((args) => ['udp', 'send', ...args]));
    for (const [i, result] of results.entries()) {
      assert.equal(result.code, 2, `${lines[i]?.join(' ')}: ${result.err.join('\n')}`);
      assert.equal(result.err.length, 1);
      assert.deepEqual(result.leftOpen, []);
    }
  });
});
