import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DatagramSocket } from '../../src/index.js';
import { dsock } from '../helpers/child.js';

describe('dsock ends gracefully', () => {
  for (const args of [
    ['chat', 'udp', 0, '--host', '127.0.0.1'],
    ['chat', 'tcp', 'server', 0, '--host', '127.0.0.1'],
  ]) {
    it(`on SIGINT while "dsock ${args.join(' ')}" waits for the user name`, async () => {
      const child = dsock(args);
      try {
        await child.stderrMatch(/Enter your username to start the chat: \(first line of stdin\)/);
        child.process.kill('SIGINT');
        assert.equal(await child.exitCode(), 0);
      } finally {
        await child.close();
      }
    });
  }

  it('on SIGINT while udp send reads stdin: sends what it read, then exits 130', async () => {
    const listener = await DatagramSocket.bind('127.0.0.1:0');
    const child = dsock(['udp', 'send', `127.0.0.1:${listener.localEndpoint.port}`]);
    try {
      child.write('first\n');
      const { data } = await listener.recvFrom(100, { timeout: 10_000 });
      assert.equal(data.toString(), 'first');
      child.process.kill('SIGINT');
      // Interrupted, the input was cut short: not a success, as a shell reports Ctrl+C.
      assert.equal(await child.exitCode(), 130);
      assert.match(child.stderr, /sent 1 datagram to/);
      assert.doesNotMatch(child.stderr, /Error|at .*\.js/);
    } finally {
      await child.close();
      await listener.close();
    }
  });

  it('when the reader of its output goes away (udp listen | head -1)', async () => {
    const sender = await DatagramSocket.bind('127.0.0.1:0');
    const child = dsock(['udp', 'listen', 0, '--host', '127.0.0.1']);
    try {
      const port = Number((await child.stderrMatch(/listening on .*:(\d+)$/))[1]);
      await sender.sendTo('one', { host: '127.0.0.1', port });
      assert.equal(await child.nextLine(), 'one');
      child.process.stdout.destroy();
      // Keep sending until the child notices the closed pipe; bounded in count.
      for (let i = 0; i < 50 && child.process.exitCode === null; i++) {
        await sender.sendTo(`more ${i}`, { host: '127.0.0.1', port });
        await child.stderrMatch(/bytes from/, 2000).catch(() => undefined);
      }
      assert.equal(await child.exitCode(), 0);
      assert.doesNotMatch(child.stderr, /Error|at .*\.js/);
    } finally {
      await child.close();
      await sender.close();
    }
  });
});

describe('dsock udp send', () => {
  it('refuses a text too long for a datagram, sends the others, and sends "-h" after --', async () => {
    const listener = await DatagramSocket.bind('127.0.0.1:0');
    const target = `127.0.0.1:${listener.localEndpoint.port}`;
    const child = dsock(['udp', 'send', target, 'short', 'x'.repeat(70_000), 'after', '--', '-h']);
    try {
      // The others are sent, but one datagram was not: a failure, exit 1.
      assert.equal(await child.exitCode(), 1);
      assert.match(child.stderr, /not sent: .*70000/);
      const got: string[] = [];
      for (let i = 0; i < 3; i++) {
        got.push((await listener.recvFrom(100, { timeout: 5000 })).data.toString());
      }
      assert.deepEqual(got, ['short', 'after', '-h']);
    } finally {
      await child.close();
      await listener.close();
    }
  });
});
