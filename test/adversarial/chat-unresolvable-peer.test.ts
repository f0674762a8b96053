import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chatShows } from '../helpers/chat.js';
import { LineChild } from '../helpers/child.js';
import { createNetns } from '../helpers/netns.js';
import { closeAll, UDP_BANNER } from './chat-support.js';

/** Runs `dsock ARGS` inside the namespace `netns`, where no lookup can leave the machine. */
function dsockIn(netns: string, args: (string | number)[]): LineChild {
  return new LineChild('ip', [
    'netns',
    'exec',
    netns,
    process.execPath,
    'bin/dsock.js',
    ...args.map(String),
  ]);
}

function loopbackUp(netns: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('ip', ['-n', netns, 'link', 'set', 'lo', 'up'], { timeout: 5000 }, (error) =>
      resolve(error ? error.message : undefined),
    );
  });
}

describe('chat udp: a peer name that does not resolve', () => {
  it('is reported and skipped; the chat goes on with the others (fresh network namespace)', async (t) => {
    const netns = await createNetns();
    if (typeof netns === 'string') return t.skip(netns);
    const children: LineChild[] = [];
    try {
      const failed = await loopbackUp(netns.name);
      if (failed !== undefined)
        return t.skip(`cannot bring up loopback in the namespace: ${failed}`);
      const bob = dsockIn(netns.name, ['chat', 'udp', 0, '--name', 'Bob', '--host', '127.0.0.1']);
      children.push(bob);
      const bobPort = Number((await bob.stderrMatch(UDP_BANNER, 15_000))[1]);
      const alice = dsockIn(netns.name, [
        'chat',
        'udp',
        0,
        'dsock-no-such-host.invalid:9',
        `127.0.0.1:${bobPort}`,
        '--name',
        'Alice',
        '--host',
        '127.0.0.1',
      ]);
      children.push(alice);
      await alice.stderrMatch(/cannot resolve dsock-no-such-host\.invalid:9: .*skipped/, 15_000);
      await alice.stderrMatch(UDP_BANNER);
      alice.write('still chatting\n');
      await chatShows(bob, 'Alice', 'still chatting');
      alice.endInput();
      assert.equal(await alice.exitCode(), 0);
    } finally {
      await closeAll(children);
      await netns.delete();
    }
  });
});
