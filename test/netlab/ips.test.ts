import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TWO_LANS, withLab } from '../helpers/netlab.js';

describe('dsock ips on a host with two LANs', () => {
  it('lists both interfaces with prefix and broadcast, and marks loopback and link-local apart', async (t) => {
    await withLab(t, TWO_LANS, async (lab) => {
      const gateway = lab.host('gateway');
      const [eth0, eth1] = gateway.interfaces;
      assert.ok(eth0 !== undefined && eth1 !== undefined);

      const tableRun = lab.dsock('gateway', ['ips', '--all']);
      assert.equal(await tableRun.exitCode(), 0, tableRun.stderr);
      const rows = tableRun.stdoutLines.map((line) => line.split(/\s{2,}/));
      assert.deepEqual(rows[0], [
        'INTERFACE',
        'ADDRESS',
        'PREFIX',
        'BROADCAST',
        'FLAGS',
        'REACHED BY',
      ]);
      const row = (address: string): string[] | undefined => rows.find((r) => r[1] === address);
      assert.deepEqual(row(eth0.ipv4), [
        'eth0',
        eth0.ipv4,
        '/24',
        eth0.broadcast,
        'broadcast,multicast',
        'peers',
      ]);
      assert.deepEqual(row(eth1.ipv4)?.slice(3), [eth1.broadcast, 'broadcast,multicast', 'peers']);
      assert.deepEqual(row(eth1.ipv6)?.slice(2), ['/64', '-', 'multicast', 'peers']);
      // Link-local addresses are written with their scope, and never offered to peers.
      assert.deepEqual(row(`${eth1.linkLocal}%eth1`)?.slice(4), [
        'link-local,multicast',
        'same link only',
      ]);
      assert.equal(row(eth1.linkLocal), undefined, 'no unscoped link-local address');
      assert.deepEqual(row('127.0.0.1')?.slice(4), ['loopback', 'this machine only']);
      // Addresses for peers come first.
      const reach = rows.slice(1).map((r) => r[5]);
      assert.deepEqual(
        reach,
        [...reach].sort((a, b) => rank(a) - rank(b)),
      );

      const jsonRun = lab.dsock('gateway', ['ips', '--json']);
      assert.equal(await jsonRun.exitCode(), 0, jsonRun.stderr);
      const listed = JSON.parse(jsonRun.stdoutLines.join('\n')) as {
        interfaceName: string;
        address: string;
        prefixLength: number;
        broadcast: string | null;
        flags: { multicast: boolean; loopback: boolean };
      }[];
      assert.deepEqual(
        listed.map((a) => [a.interfaceName, a.address, a.prefixLength, a.broadcast]),
        [
          ['eth0', eth0.ipv4, 24, eth0.broadcast],
          ['eth1', eth1.ipv4, 24, eth1.broadcast],
          ['lo', '127.0.0.1', 8, null],
        ],
      );
    });
  });
});

function rank(reach: string | undefined): number {
  return ['peers', 'same link only', 'this machine only'].indexOf(reach ?? '');
}
