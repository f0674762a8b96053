import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ReliableDatagramSocket, DatagramSocket } from '../../src/index.js';
import { dsock } from '../helpers/child.js';
import { dsockOnTerminal } from '../helpers/pty.js';

/** What erases the line and starts it anew: carriage return, then erase to the end of the line. */
const REDRAW = '\r\x1b[K';

/**
 * The progress lines a terminal showed: each text drawn after a REDRAW, up to the next one. The
 * last REDRAW erases the line for what follows (the summary), which is no progress line.
 */
function progressLines(output: Buffer): string[] {
  return output
    .toString('latin1')
    .split(REDRAW)
    .slice(1, -1)
    .map((part) => part.split(/\r|\n/)[0] as string);
}

describe('progress of long runs', () => {
  it('stream udp shows one line refreshed in place on a terminal, erased at the end', async () => {
    const sink = await DatagramSocket.bind('127.0.0.1:0', { receiveQueueLimit: 4096 });
    const target = `127.0.0.1:${sink.localEndpoint.port}`;
    const terminal = dsockOnTerminal(['stream', 'udp', 3000, target, '--rate', 3000]);
    try {
      await terminal.waitFor('# sent 3000 of 3000 messages', 20_000);
      assert.equal(await terminal.exited, 0);
      const output = terminal.output.toString('latin1');
      const lines = progressLines(terminal.output);
      assert.ok(
        lines.length >= 2,
        `progress drawn ${lines.length} times: ${JSON.stringify(output)}`,
      );
      for (const line of lines) assert.match(line, /^# sent \d+ \(\d+(\.\d+)?\/s\)$/);
      // Erased before the summary: the summary starts on a clean line.
      assert.ok(
        output.includes(`${REDRAW}# sent 3000 of 3000`),
        JSON.stringify(output.slice(-200)),
      );
      // At most about ten updates a second: 3000 messages at 3000/s take a second.
      assert.ok(lines.length <= 40, `${lines.length} updates`);
    } finally {
      await terminal.close();
      await sink.close();
    }
  });

  it(
    'a reliable stream shows acknowledged messages and retransmissions',
    { timeout: 60_000 },
    async () => {
      const receiver = await ReliableDatagramSocket.bind('127.0.0.1:0');
      const draining = (async () => {
        for (;;) await receiver.recvFrom();
      })().catch(() => undefined);
      const target = `127.0.0.1:${receiver.localEndpoint.port}`;
      const terminal = dsockOnTerminal([
        'stream',
        'udp',
        2000,
        target,
        '--rate',
        2000,
        '--reliable',
      ]);
      try {
        await terminal.waitFor('# sent 2000 of 2000 messages', 30_000);
        assert.equal(await terminal.exited, 0);
        const lines = progressLines(terminal.output);
        assert.ok(lines.length >= 2, `progress drawn ${lines.length} times`);
        for (const line of lines) {
          assert.match(line, /^# acknowledged \d+ \(\d+(\.\d+)?\/s\), retransmitted \d+$/);
        }
      } finally {
        await terminal.close();
        await receiver.close();
        await draining;
      }
    },
  );

  it('sink udp shows its counts on a terminal while messages arrive', async () => {
    const terminal = dsockOnTerminal(['sink', 'udp', 0, '--host', '127.0.0.1', '--expect', 3000]);
    let child;
    try {
      await terminal.waitFor('listening on 127.0.0.1:');
      const port = /listening on 127\.0\.0\.1:(\d+)/.exec(terminal.output.toString())?.[1];
      assert.ok(port !== undefined);
      child = dsock(['stream', 'udp', 3000, `127.0.0.1:${port}`, '--rate', 3000]);
      assert.equal(await child.exitCode(), 0);
      await terminal.waitFor('out of order: ', 20_000);
      const lines = progressLines(terminal.output);
      assert.ok(lines.length >= 2, `progress drawn ${lines.length} times`);
      for (const line of lines) {
        assert.match(line, /^# received \d+ \(\d+(\.\d+)?\/s\), distinct \d+, missing \d+$/);
      }
    } finally {
      await child?.close();
      await terminal.close();
    }
  });

  it('writes no progress on a pipe', async () => {
    const sink = await DatagramSocket.bind('127.0.0.1:0', { receiveQueueLimit: 4096 });
    const child = dsock([
      'stream',
      'udp',
      3000,
      `127.0.0.1:${sink.localEndpoint.port}`,
      '--rate',
      3000,
    ]);
    try {
      assert.equal(await child.exitCode(), 0);
      assert.deepEqual(child.stderrLines, [
        `# sent 3000 of 3000 messages to 127.0.0.1:${sink.localEndpoint.port}`,
      ]);
    } finally {
      await child.close();
      await sink.close();
    }
  });
});
