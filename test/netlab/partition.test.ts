import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chatShows } from '../helpers/chat.js';
import type { LineChild } from '../helpers/child.js';
import { TWO_LANS, labForFile } from '../helpers/netlab.js';

// delta's cable (its only link, to lan2) is pulled while the chats run, then plugged back. One
// lab for the file: each test plugs the cable back however it ends.
const onLab = labForFile(TWO_LANS);

describe('a partition: a host loses its link mid-run and gets it back', () => {
  it('the UDP chat goes on for the others and reaches the host again once it is back', async (t) => {
    await onLab(t, async (lab) => {
      const alpha = lab.host('alpha').ipv4;
      const started: LineChild[] = [];
      try {
        const alice = lab.dsock('alpha', ['chat', 'udp', 7000, '--name', 'Alice']);
        started.push(alice);
        await alice.stderrMatch(/chatting on/);
        const dave = lab.dsock('delta', ['chat', 'udp', 7000, `${alpha}:7000`, '-n', 'Dave']);
        const gil = lab.dsock('gateway', ['chat', 'udp', 7000, `${alpha}:7000`, '-n', 'Gil']);
        started.push(dave, gil);
        await Promise.all([dave.stderrMatch(/chatting on/), gil.stderrMatch(/chatting on/)]);
        dave.write('Dave here\n');
        gil.write('Gil here\n');
        await chatShows(alice, 'Dave', 'Dave here');
        await chatShows(alice, 'Gil', 'Gil here');

        await lab.setCable('delta', 'eth0', false);
        alice.write('while delta is away\n');
        await chatShows(gil, 'Alice', 'while delta is away');
        gil.write('Gil still here\n');
        await chatShows(alice, 'Gil', 'Gil still here');

        await lab.setCable('delta', 'eth0', true);
        alice.write('delta is back\n');
        await chatShows(dave, 'Alice', 'delta is back', 20_000);
        dave.write('Dave is back too\n');
        await chatShows(alice, 'Dave', 'Dave is back too');
        await chatShows(gil, 'Alice', 'delta is back');
        // No peer was dropped: a datagram chat has no connection to lose.
        assert.ok(!alice.stderrLines.some((l) => /left the chat/.test(l)), alice.stderr);
      } finally {
        await Promise.all(started.map((c) => c.close()));
        await lab.setCable('delta', 'eth0', true);
      }
    });
  });

  it('the TCP group chat keeps its connection through a short partition and delivers what was said during it', async (t) => {
    await onLab(t, async (lab) => {
      const alpha = lab.host('alpha').ipv4;
      const started: LineChild[] = [];
      try {
        const alice = lab.dsock('alpha', ['chat', 'tcp', 'group', 7100, '--name', 'Alice']);
        started.push(alice);
        await alice.stderrMatch(/in the group on/);
        const dave = lab.dsock('delta', [
          'chat',
          'tcp',
          'group',
          7100,
          `${alpha}:7100`,
          '-n',
          'Dave',
        ]);
        started.push(dave);
        await dave.stderrMatch(/# connected to/);
        await alice.stderrMatch(/# connected from/);

        await lab.setCable('delta', 'eth0', false);
        alice.write('said during the partition\n');
        dave.write('Dave said it too\n');
        await lab.setCable('delta', 'eth0', true);
        // TCP retransmits once the link is back: nothing said is lost, nothing is reported.
        await chatShows(dave, 'Alice', 'said during the partition', 30_000);
        await chatShows(alice, 'Dave', 'Dave said it too', 30_000);
        assert.ok(!alice.stderrLines.some((l) => /left|failed/.test(l)), alice.stderr);

        // A member whose process ends is dropped, and the one who gave its address can join
        // again by connecting anew.
        dave.process.kill('SIGKILL');
        await alice.stderrMatch(/# .*(left the chat|failed)/, 20_000);
        const again = lab.dsock('delta', [
          'chat',
          'tcp',
          'group',
          7100,
          `${alpha}:7100`,
          '-n',
          'Dave',
        ]);
        started.push(again);
        await again.stderrMatch(/# connected to/);
        again.write('Dave rejoined\n');
        await chatShows(alice, 'Dave', 'Dave rejoined');
      } finally {
        await Promise.all(started.map((c) => c.close()));
        await lab.setCable('delta', 'eth0', true);
      }
    });
  });
});
