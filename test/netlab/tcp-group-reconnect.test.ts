import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chatShows } from '../helpers/chat.js';
import type { LineChild } from '../helpers/child.js';
import { TWO_LANS, withLab, type NetLab } from '../helpers/netlab.js';

const PORT = 7100;

/** How many times `child` printed the chat message TEXT (its text line after a header). */
function timesShown(child: LineChild, text: string): number {
  return child.stdoutLines.filter((line) => line === `\t${text}`).length;
}

function escaped(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('TCP group chat across the lab: a member reconnects to the peer it was given', () => {
  it(
    'after the peer restarts, and after a partition during which it restarted',
    { timeout: 150_000 },
    async (t) => {
      await withLab(t, TWO_LANS, async (lab: NetLab) => {
        const alice = `${lab.host('alpha').ipv4}:${PORT}`;
        const dave = `${lab.host('delta').ipv4}:${PORT}`;
        const started: LineChild[] = [];
        const startAlice = async (): Promise<LineChild> => {
          const child = lab.dsock('alpha', ['chat', 'tcp', 'group', PORT, '-n', 'Alice']);
          started.push(child);
          await child.stderrMatch(/in the group on/);
          return child;
        };
        try {
          let a = await startAlice();
          // Dave (lan2) was given Alice (lan1); Gil (on both) was given both.
          const d = lab.dsock('delta', ['chat', 'tcp', 'group', PORT, alice, '-n', 'Dave']);
          started.push(d);
          await d.stderrMatch(new RegExp(`^# connected to ${escaped(alice)}$`));
          const g = lab.dsock('gateway', ['chat', 'tcp', 'group', PORT, alice, dave, '-n', 'Gil']);
          started.push(g);
          await g.stderrMatch(/^# connected to /);
          await g.stderrMatch(/^# connected to /);

          // 1. Alice's process is killed: both report the loss, wait, and go on talking.
          a.process.kill('SIGKILL');
          await a.exitCode();
          for (const member of [d, g]) {
            await member.stderrMatch(
              new RegExp(
                `^# (${escaped(alice)} left the chat|connection with ${escaped(alice)} failed)`,
              ),
            );
            await member.stderrMatch(
              new RegExp(`^# reconnecting to ${escaped(alice)} in \\d+\\.\\d s$`),
            );
          }
          g.write('Alice is away\n');
          await chatShows(d, 'Gil', 'Alice is away');
          // Alice starts again on the same port: both are connected to her again.
          a = await startAlice();
          for (const member of [d, g]) {
            await member.stderrMatch(new RegExp(`^# reconnected to ${escaped(alice)}$`), 20_000);
          }
          a.write('Alice is back\n');
          await chatShows(d, 'Alice', 'Alice is back');
          await chatShows(g, 'Alice', 'Alice is back');
          d.write('welcome back\n');
          await chatShows(a, 'Dave', 'welcome back');

          // 2. Dave's cable is pulled; meanwhile Alice restarts. Gil reconnects at once; Dave's
          // connection to the old Alice breaks once the cable is back, and he reconnects.
          await lab.setCable('delta', 'eth0', false);
          a.process.kill('SIGKILL');
          await a.exitCode();
          a = await startAlice();
          await g.stderrMatch(new RegExp(`^# reconnected to ${escaped(alice)}$`), 30_000);
          await lab.setCable('delta', 'eth0', true);
          const plugged = performance.now();
          await d.stderrMatch(new RegExp(`^# reconnected to ${escaped(alice)}$`), 60_000);
          const seconds = ((performance.now() - plugged) / 1000).toFixed(1);
          process.stdout.write(`# Dave reconnected ${seconds} s after his cable came back\n`);
          a.write('after the partition\n');
          await chatShows(d, 'Alice', 'after the partition');
          await chatShows(g, 'Alice', 'after the partition');
          d.write('Dave after the partition\n');
          await chatShows(a, 'Dave', 'Dave after the partition');
          await chatShows(g, 'Dave', 'Dave after the partition');
          // One connection per peer: nothing arrived twice.
          for (const [member, text] of [
            [d, 'after the partition'],
            [g, 'after the partition'],
            [a, 'Dave after the partition'],
            [g, 'Dave after the partition'],
          ] as const) {
            assert.equal(timesShown(member, text), 1, `${text}: ${member.stdoutLines.join('\n')}`);
          }
          // The waits grew while Alice could not be reached, and never fell below 0.4 s.
          const waits = d.stderrLines.flatMap((line) => {
            const m = /^# reconnecting to .* in (\d+\.\d) s$/.exec(line);
            return m ? [Number(m[1])] : [];
          });
          assert.ok(waits.length >= 2 && waits.every((w) => w >= 0.4 && w <= 30), waits.join(' '));
        } finally {
          await Promise.all(started.map((c) => c.close()));
        }
      });
    },
  );
});
