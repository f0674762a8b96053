import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import type { LineChild } from '../helpers/child.js';
import { TWO_LANS, withLab, type NetLab } from '../helpers/netlab.js';
import { DEFAULT_DISCOVERY_GROUP, DEFAULT_DISCOVERY_PORT } from '../../src/discovery/beacon.js';
import { datagramPaths } from './paths.js';

const RECEIVER = 'test/netlab/fixtures/ttl_receiver.py';

/** A Python stdlib receiver on alpha that prints the TTL each datagram of `group` came with. */
async function ttlReceiver(lab: NetLab, port: number, group: string): Promise<LineChild> {
  const child = lab.spawn('alpha', 'python3', [
    '-S',
    RECEIVER,
    port,
    group,
    lab.host('alpha').ipv4,
  ]);
  assert.match(await child.nextLine(), /^READY \d+$/);
  return child;
}

/** The TTL of the next datagram whose payload `wanted` accepts (others are passed over). */
async function nextTtl(receiver: LineChild, wanted: (payload: string) => boolean): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const line = await receiver.nextLine(15_000);
    const match = /^TTL (\d+|None) FROM \S+ (.*)$/.exec(line);
    assert.ok(match, line);
    if (wanted(JSON.parse(match[2] as string) as string)) return Number(match[1]);
  }
  throw new Error('no wanted datagram among 100');
}

describe('multicast TTL as the receiver sees it (IP_RECVTTL, Python stdlib)', () => {
  it('dsock udp send to a group: TTL 1 by default, --ttl N sets it; discovery beacons TTL 1', async (t) => {
    await withLab(t, TWO_LANS, async (lab) => {
      const started: LineChild[] = [];
      try {
        const port = randomInt(30000, 40000);
        const group = `239.78.${randomInt(0, 256)}.${randomInt(1, 255)}`;
        const receiver = await ttlReceiver(lab, port, group);
        started.push(receiver);
        for (const path of datagramPaths()) {
          for (const [extra, ttl] of [
            [[], 1],
            [['--ttl', '5'], 5],
          ] as const) {
            const text = `${path.name} ${extra.join(' ') || 'default'}`;
            const send = lab.dsock(
              'beta',
              ['udp', 'send', `${group}:${port}`, text, ...extra],
              path.env,
            );
            started.push(send);
            assert.equal(await send.exitCode(), 0, send.stderr);
            const seen = await nextTtl(receiver, (p) => p === text);
            process.stdout.write(`# ${text}: TTL ${seen}\n`);
            assert.equal(seen, ttl, text);
          }
        }

        const beacons = await ttlReceiver(lab, DEFAULT_DISCOVERY_PORT, DEFAULT_DISCOVERY_GROUP);
        started.push(beacons);
        for (const [i, path] of datagramPaths().entries()) {
          const name = `Ttl${i}`;
          const chat = lab.dsock(
            'beta',
            ['chat', 'udp', 7000 + i, '--discover', '--room', 'ttl', '-n', name],
            path.env,
          );
          started.push(chat);
          const ttl = await nextTtl(beacons, (p) => p.includes(`"name":"${name}"`));
          process.stdout.write(`# discovery beacon (${path.name}): TTL ${ttl}\n`);
          assert.equal(ttl, 1, `beacon on ${path.name}`);
          chat.endInput();
          assert.equal(await chat.exitCode(), 0, chat.stderr);
          const goodbye = await nextTtl(beacons, (p) => p.includes('"goodbye"'));
          assert.equal(goodbye, 1, `goodbye on ${path.name}`);
        }
      } finally {
        await Promise.all(started.map((c) => c.close()));
      }
    });
  });
});
