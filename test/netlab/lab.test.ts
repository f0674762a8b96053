import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { LineChild } from '../helpers/child.js';
import { NetLab, TWO_LANS, withLab } from '../helpers/netlab.js';

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name !== '');
}

describe('netlab: two LANs, four hosts, a gateway on both', () => {
  it('gives each host its addresses and routes, and a datagram crosses the gateway', async (t) => {
    await withLab(t, TWO_LANS, async (lab) => {
      const alpha = lab.host('alpha');
      const delta = lab.host('delta');
      const gateway = lab.host('gateway');
      assert.deepEqual(
        gateway.interfaces.map((f) => [f.name, f.lan, f.ipv4]),
        [
          ['eth0', 'lan1', '198.18.0.3'],
          ['eth1', 'lan2', '198.18.1.1'],
        ],
      );
      const routes = await lab.exec('alpha', 'ip', ['route', 'show', 'default']);
      assert.match(routes, /default via 198\.18\.0\.3 dev eth0/);
      const shown = await lab.exec('delta', 'ip', ['-6', 'addr', 'show', 'dev', 'eth0']);
      assert.match(shown, /fd00:0:0:2::2\/64/);
      assert.doesNotMatch(shown, /tentative/, 'IPv6 addresses usable at once');
      assert.match(delta.interfaces[0]?.linkLocal ?? '', /^fe80::/);

      const v4 = lab.dsock('delta', ['udp', 'listen', 9000]);
      const v6 = lab.dsock('delta', ['udp', 'listen', 9000, '--host', delta.ipv6]);
      await v4.stderrMatch(/# listening on 0\.0\.0\.0:9000/);
      await v6.stderrMatch(/# listening on/);
      for (const [listener, to, from] of [
        [v4, `${delta.ipv4}:9000`, alpha.ipv4],
        [v6, `[${delta.ipv6}]:9000`, `[${alpha.ipv6}]`],
      ] as const) {
        const sender = lab.dsock('alpha', ['udp', 'send', to, `hello via the gateway`]);
        assert.equal(await sender.exitCode(), 0, sender.stderr);
        assert.equal(await listener.nextLine(), 'hello via the gateway');
        // The sender's address is alpha's own: the gateway routes, it does not translate.
        const seen = await listener.stderrMatch(/from (.*):\d+$/);
        assert.equal(seen[1], from);
      }
    });
  });

  it('removes every namespace it made, also when the test body fails', async (t) => {
    let made: string[] = [];
    let running: LineChild | undefined;
    const before = namespaces();
    await assert.rejects(
      withLab(t, TWO_LANS, async (lab) => {
        made = lab.hosts.map((h) => h.netns);
        assert.ok(made.every((name) => namespaces().includes(name)));
        // Something still running in a host when the lab closes is killed with it.
        running = lab.dsock('beta', ['udp', 'listen', 9000]);
        await running.stderrMatch(/# listening/);
        throw new Error('the test body failed');
      }),
      /the test body failed/,
    );
    if (made.length === 0) return; // skipped: no lab could be built (reason printed)
    assert.notEqual(await running?.exitCode(5000), 0, 'the listener was killed');
    const after = namespaces();
    assert.deepEqual(
      made.filter((name) => after.includes(name)),
      [],
    );
    // Its switch too: every namespace of this lab's id (labs of other test files may run
    // meanwhile, with ids of their own).
    const prefix = (made[0] as string).replace(/-[^-]+$/, '-');
    assert.deepEqual(
      after.filter((name) => !before.includes(name) && name.startsWith(prefix)),
      [],
    );
  });

  it('refuses a host on a LAN that does not exist, leaving nothing behind', async (t) => {
    const lab = await NetLab.create({ lans: ['lan1'], hosts: { solo: ['nowhere'] } }).catch(
      (error: unknown) => error,
    );
    if (typeof lab === 'string') return t.skip(lab);
    assert.ok(lab instanceof Error && /unknown LAN nowhere/.test(lab.message), String(lab));
    assert.deepEqual(
      namespaces().filter((name) => name.endsWith('-solo')),
      [],
    );
  });
});
