import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { LineChild } from '../helpers/child.js';
import { createNetns } from '../helpers/netns.js';

const PROBE = fileURLToPath(new URL('./fixtures/netns-connect.js', import.meta.url));
const SYN_TIMEOUT = fileURLToPath(new URL('./fixtures/netns-syn-timeout.js', import.meta.url));

interface Outcome {
  connected?: boolean;
  name?: string;
  code?: string;
  message?: string;
  endpoint?: { host: string; port: number };
  socketError?: boolean;
  hostname?: string;
  timeout?: string;
  cause?: string;
}

/** Runs `args` in `netns`; the reason it failed, or undefined. */
async function inNetns(netns: string, args: string[]): Promise<string | undefined> {
  const child = new LineChild('ip', ['netns', 'exec', netns, ...args]);
  try {
    const code = await child.exitCode(10_000);
    return code === 0 ? undefined : `${args.join(' ')} exited with ${code}`;
  } finally {
    await child.close();
  }
}

/** Runs the connect probe inside `netns` against `target` and returns what it reported. */
async function probe(netns: string, target: string): Promise<Outcome> {
  const child = new LineChild('ip', ['netns', 'exec', netns, process.execPath, PROBE, target]);
  try {
    const line = await child.nextLine(15_000);
    return JSON.parse(line) as Outcome;
  } finally {
    await child.close();
  }
}

// A namespace of its own has no route anywhere (its only interface, lo, is down), so these
// failures happen without a packet leaving it.
describe('StreamSocket.connect without a network (fresh network namespace)', () => {
  it('rejects with HostUnreachableError naming the endpoint when there is no route', async (t) => {
    const netns = await createNetns();
    if (typeof netns === 'string') return t.skip(netns);
    try {
      const outcome = await probe(netns.name, '192.0.2.1:80');
      assert.equal(outcome.name, 'HostUnreachableError', JSON.stringify(outcome));
      assert.equal(outcome.socketError, true);
      assert.deepEqual(outcome.endpoint, { host: '192.0.2.1', port: 80 });
      assert.match(outcome.message ?? '', /connect to 192\.0\.2\.1:80 failed: host unreachable/);
    } finally {
      await netns.delete();
    }
  });

  it('rejects with NameResolutionError naming the host when names cannot be resolved', async (t) => {
    const netns = await createNetns();
    if (typeof netns === 'string') return t.skip(netns);
    try {
      const host = 'dsock-no-such-host.invalid';
      const outcome = await probe(netns.name, `${host}:80`);
      assert.equal(outcome.name, 'NameResolutionError', JSON.stringify(outcome));
      assert.equal(outcome.code, 'ENOTFOUND');
      assert.equal(outcome.hostname, host);
      assert.deepEqual(outcome.endpoint, { host, port: 80 });
      assert.match(outcome.message ?? '', /cannot resolve host name "dsock-no-such-host\.invalid"/);
    } finally {
      await netns.delete();
    }
  });
});

describe('StreamSocket.connect when the system times out (fresh network namespace)', () => {
  it('rejects with a TimeoutError that says the system timed out, timeout NaN', async (t) => {
    const netns = await createNetns();
    if (typeof netns === 'string') return t.skip(netns);
    const children: LineChild[] = [];
    try {
      // One SYN retry: the kernel gives up on an unanswered connect after about 3 s.
      const setup =
        (await inNetns(netns.name, ['ip', 'link', 'set', 'lo', 'up'])) ??
        (await inNetns(netns.name, ['sysctl', '-q', '-w', 'net.ipv4.tcp_syn_retries=1']));
      if (setup !== undefined) return t.skip(`cannot set up the namespace: ${setup}`);
      // A listener with a backlog of 0 that never accepts: once its queue is full, the kernel
      // drops further SYNs.
      const code = [
        'import socket, sys',
        's = socket.socket(socket.AF_INET, socket.SOCK_STREAM)',
        's.bind(("127.0.0.1", 0))',
        's.listen(0)',
        'print("READY", s.getsockname()[1], flush=True)',
        'sys.stdin.read()',
      ].join('\n');
      const listener = new LineChild('ip', ['netns', 'exec', netns.name, 'python3', '-c', code]);
      children.push(listener);
      const port = Number((await listener.nextLine(10_000)).split(' ')[1]);
      const target = `127.0.0.1:${port}`;
      const prober = new LineChild('ip', [
        'netns',
        'exec',
        netns.name,
        process.execPath,
        SYN_TIMEOUT,
        target,
      ]);
      children.push(prober);
      const outcome = JSON.parse(await prober.nextLine(30_000)) as Outcome;
      assert.equal(outcome.name, 'TimeoutError', JSON.stringify(outcome));
      assert.equal(outcome.code, 'ETIMEDOUT');
      assert.equal(outcome.cause, 'ETIMEDOUT');
      assert.equal(outcome.timeout, 'NaN');
      assert.deepEqual(outcome.endpoint, { host: '127.0.0.1', port });
      assert.match(
        outcome.message ?? '',
        new RegExp(`connect to 127\\.0\\.0\\.1:${port} failed: the system timed out`),
      );
    } finally {
      await Promise.all(children.map((child) => child.close()));
      await netns.delete();
    }
  });
});
