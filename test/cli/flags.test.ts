import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { ConnectionRefusedError, DatagramSocket, StreamSocket } from '../../src/index.js';
import type { ReceivedDatagram } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { dsock, type LineChild } from '../helpers/child.js';
import { dsockEach } from '../helpers/dsock-batch.js';

// Flags and signals of the dsock command that the other command-line tests do not use.

const children: LineChild[] = [];
const sockets: DatagramSocket[] = [];
after(async () => {
  await Promise.all(children.splice(0).map((c) => c.close()));
  await Promise.all(sockets.splice(0).map((s) => s.close()));
});

function start(args: (string | number)[]): LineChild {
  const child = dsock(args);
  children.push(child);
  return child;
}

async function bind(host = '127.0.0.1'): Promise<DatagramSocket> {
  const socket = await DatagramSocket.bind({ host, port: 0 });
  sockets.push(socket);
  return socket;
}

/**
 * Runs command lines that end by themselves one after another in one process (dsock-batch.ts);
 * each one's exit status and stdout lines, and nothing may be left open or printed on stderr.
 */
async function outputs(lines: (string | number)[][]) {
  const results = await dsockEach(lines);
  return results.map((result, i) => {
    assert.deepEqual([result.err, result.leftOpen], [[], []], lines[i]?.join(' '));
    return { code: result.code, out: result.out };
  });
}

describe('dsock short flags', () => {
  it('-h prints the help and -V the version, as --help and --version do', async () => {
    const [short, long, v, version, sub] = await outputs([
      ['-h'],
      ['--help'],
      ['-V'],
      ['--version'],
      ['udp', 'listen', '-h'],
    ]);
    assert.equal(short?.code, 0);
    assert.ok((short?.out.length ?? 0) > 5);
    assert.deepEqual(short?.out, long?.out);
    assert.equal(v?.code, 0);
    assert.deepEqual(v?.out, version?.out);
    assert.match(v?.out[0] ?? '', /^\d+\.\d+\.\d+/);
    assert.equal(sub?.code, 0);
    assert.match(sub?.out[0] ?? '', /^Usage: dsock udp listen PORT/);
  });
});

describe('dsock ips', () => {
  it('lists the IPv4 addresses, and with --all the IPv6 ones too', async () => {
    const expected = (family: 'IPv4' | 'IPv6') =>
      Object.values(networkInterfaces())
        .flatMap((infos) => infos ?? [])
        .filter((info) => info.family === family)
        .map((info) => info.address);
    const [v4, all, table] = await outputs([
      ['ips', '--json'],
      ['ips', '--all', '--json'],
      ['ips', '--all'],
    ]);
    assert.ok(v4 && all && table);
    assert.equal(v4.code, 0);
    assert.equal(all.code, 0);
    const addresses = (lines: string[]): string[] =>
      (JSON.parse(lines.join('\n')) as { address: string }[]).map((a) => a.address).sort();
    assert.deepEqual(addresses(v4.out), expected('IPv4').sort());
    assert.deepEqual(addresses(all.out), [...expected('IPv4'), ...expected('IPv6')].sort());
    // The table names each address once, on its own row.
    for (const address of [...expected('IPv4'), ...expected('IPv6')]) {
      assert.ok(
        table.out.some((line) => line.split(/\s+/).some((cell) => cell.split('%')[0] === address)),
        `${address} in the table:\n${table.out.join('\n')}`,
      );
    }
  });
});

describe('dsock udp listen --hex', () => {
  it('prints each datagram in hexadecimal, and ends with status 0 on SIGTERM', async () => {
    const listener = start(['udp', 'listen', 0, '--host', '127.0.0.1', '--hex']);
    const port = Number((await listener.stderrMatch(/listening on 127\.0\.0\.1:(\d+)$/))[1]);
    const sender = await bind();
    await sender.sendTo(Buffer.from([0x00, 0xff, 0x41, 0x0a]), { host: '127.0.0.1', port });
    assert.equal(await listener.nextLine(), '00ff410a');
    await sender.sendTo('hi\n', { host: '127.0.0.1', port });
    assert.equal(await listener.nextLine(), '68690a');
    const from = `127.0.0.1:${sender.localEndpoint.port}`;
    await listener.stderrMatch(new RegExp(`^# 3 bytes from ${from.replace(/\./g, '\\.')}$`));
    listener.process.kill('SIGTERM');
    assert.equal(await listener.exitCode(), 0);
    assert.equal(listener.process.signalCode, null, 'it ended by itself, not by the signal');
  });
});

describe('dsock chaos udp --host', () => {
  it('listens on the address given and relays what arrives there', async () => {
    const target = await bind();
    const relay = start([
      'chaos',
      'udp',
      0,
      `127.0.0.1:${target.localEndpoint.port}`,
      '--host',
      '127.0.0.2',
    ]);
    const port = Number((await relay.stderrMatch(/relaying 127\.0\.0\.2:(\d+) -> /))[1]);
    const client = await bind('127.0.0.2');
    await client.sendTo('through 127.0.0.2', { host: '127.0.0.2', port });
    const { data } = await within(target.recvFrom(), 5000, 'the relayed datagram');
    assert.equal(data.toString(), 'through 127.0.0.2');
    relay.process.kill('SIGTERM');
    assert.equal(await relay.exitCode(), 0);
  });
});

describe('dsock stream udp to several peers', () => {
  it('sends every number to each peer, paced at --rate', async () => {
    const peers = [await bind(), await bind()];
    const count = 200;
    const rate = 200;
    const receiving = peers.map(async (peer) => {
      const arrivals: number[] = [];
      const texts: string[] = [];
      for (let i = 0; i < count; i++) {
        const datagram: ReceivedDatagram = await within(peer.recvFrom(), 10_000, `message ${i}`);
        arrivals.push(performance.now());
        texts.push(datagram.data.toString());
      }
      return { arrivals, texts };
    });
    const streamer = start([
      'stream',
      'udp',
      count,
      ...peers.map((p) => `127.0.0.1:${p.localEndpoint.port}`),
      '--rate',
      rate,
    ]);
    assert.equal(await streamer.exitCode(), 0);
    for (const { arrivals, texts } of await Promise.all(receiving)) {
      assert.deepEqual(
        texts.map((t) => /Number (\d+)/.exec(t)?.[1]),
        Array.from({ length: count }, (_, i) => String(i)),
      );
      // 200 messages at 200 a second span about a second; without pacing they take a few ms.
      // Only a lower bound: a slow machine can take longer, never shorter.
      const spread = (arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0);
      assert.ok(spread >= 500, `the messages came within ${spread.toFixed(0)} ms`);
    }
  });
});

describe('dsock echo server without --once', () => {
  it('serves one client after another until SIGTERM, then closes its port', async () => {
    const server = start(['echo', 'server', 0, '--host', '127.0.0.1']);
    const port = Number((await server.stderrMatch(/listening on .*:(\d+)$/))[1]);
    for (const text of ['first client', 'second client']) {
      const client = await within(StreamSocket.connect({ host: '127.0.0.1', port }), 5000, text);
      try {
        await client.sendAll(text);
        assert.equal((await within(client.recvExactly(text.length), 5000, text)).toString(), text);
      } finally {
        await client.close();
      }
      await server.stderrMatch(/left after \d+ bytes$/);
    }
    server.process.kill('SIGTERM');
    assert.equal(await server.exitCode(), 0);
    await assert.rejects(
      StreamSocket.connect({ host: '127.0.0.1', port }, { timeout: 5000 }),
      ConnectionRefusedError,
    );
  });
});
