import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { LineChild } from '../helpers/child.js';
import type { NetLab } from '../helpers/netlab.js';
import { TWO_LANS, labForFile } from '../helpers/netlab.js';

const MEMBER = fileURLToPath(new URL('./fixtures/discover.js', import.meta.url));

interface Event {
  event: string;
  name?: string;
  endpoint?: { host: string; port: number };
  reason?: string;
  silentFor?: number;
  [key: string]: unknown;
}

/**
 * A process on a lab host that runs Discovery members (fixtures/discover.ts); its output lines
 * are the events of its members, each handed to the member it names.
 */
class MemberProcess {
  readonly members = new Map<string, Member>();
  constructor(readonly child: LineChild) {}

  /** Reads the next event and hands it to its member. */
  async readEvent(ms: number): Promise<void> {
    const event = JSON.parse(await this.child.nextLine(ms)) as Event;
    this.members.get(String(event.member))?.events.push(event);
  }

  /** Stops the members still running (they say goodbye), at the end of a test. */
  async stopAll(): Promise<void> {
    for (const member of this.members.values()) {
      if (!member.events.some((e) => e.event === 'closed')) await member.stop();
    }
  }
}

/**
 * One member process per host for the file, kept running from test to test: members of every
 * test (each in rooms of its own) start and stop in it, rather than each in a Node.js process
 * of its own. A member that must vanish as a process does (killed) or whose process's heap is
 * measured gets a process of its own instead.
 */
const shared = new Map<string, MemberProcess>();

function sharedProcess(lab: NetLab, host: string): MemberProcess {
  let running = shared.get(host);
  if (running === undefined) {
    running = new MemberProcess(lab.keepUntilClose(lab.spawn(host, process.execPath, [MEMBER])));
    shared.set(host, running);
  }
  return running;
}

let lastId = 0;

/** A Discovery member on a lab host, its events read as JSON lines. */
class Member {
  readonly events: Event[] = [];
  readonly id = String(++lastId);
  constructor(readonly runner: MemberProcess) {
    runner.members.set(this.id, this);
  }

  /**
   * Starts a member on `host`, in the host's shared member process, or with `own`, in a process
   * of its own.
   */
  static async start(
    lab: NetLab,
    host: string,
    config: object,
    own: 'own process' | undefined = undefined,
  ): Promise<Member> {
    const runner =
      own === undefined
        ? sharedProcess(lab, host)
        : new MemberProcess(lab.spawn(host, process.execPath, [MEMBER]));
    const member = new Member(runner);
    runner.child.write(`start ${member.id} ${JSON.stringify(config)}\n`);
    const ready = await member.next((e) => e.event === 'ready', 'the member to start');
    assert.match(String(ready.node), /^[0-9a-f]{16}$/);
    return member;
  }

  /** The next event matching `match` (earlier ones are kept in {@link events}). */
  async next(match: (e: Event) => boolean, what: string, ms = 15_000): Promise<Event> {
    const deadline = performance.now() + ms;
    let checked = 0;
    for (;;) {
      // Each event is looked at once (the match may count what it saw).
      while (checked < this.events.length) {
        const event = this.events[checked++] as Event;
        if (match(event)) return event;
      }
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await this.runner.readEvent(left);
    }
  }

  found(name: string, ms?: number): Promise<Event> {
    return this.next((e) => e.event === 'found' && e.name === name, `found ${name}`, ms);
  }

  lost(name: string, ms?: number): Promise<Event> {
    return this.next((e) => e.event === 'lost' && e.name === name, `lost ${name}`, ms);
  }

  async stats(): Promise<Event> {
    this.runner.child.write(`stats ${this.id}\n`);
    const count = this.events.filter((e) => e.event === 'stats').length;
    let seen = 0;
    return this.next((e) => e.event === 'stats' && ++seen > count, 'stats');
  }

  /** Closes the member: it says goodbye. */
  async stop(): Promise<void> {
    this.runner.child.write(`stop ${this.id}\n`);
    await this.next((e) => e.event === 'closed', `member ${this.id} to close`);
  }
}

const FAST = { interval: 250, rescanInterval: 300 };

// One lab for the file, each test in rooms of its own: alpha and beta on lan1, delta on lan2,
// the gateway on both.
const onFileLab = labForFile(TWO_LANS);

/** Runs `body` on the file's lab; the members it left running in the shared processes stop. */
async function onLab(t: TestContext, body: (lab: NetLab) => Promise<void>): Promise<void> {
  await onFileLab(t, async (lab) => {
    try {
      await body(lab);
    } finally {
      for (const runner of shared.values()) await runner.stopAll();
    }
  });
}

describe('Discovery across the lab', () => {
  it('members find the members of their room on every LAN they are on, at the beacon source address', async (t) => {
    await onLab(t, async (lab) => {
      const gw = lab.host('gateway');
      const members: Record<string, Member> = {};
      for (const [host, name] of [
        ['alpha', 'Alice'],
        ['beta', 'Bea'],
        ['gateway', 'Gil'],
        ['delta', 'Dave'],
      ] as const) {
        members[name] = await Member.start(lab, host, {
          room: 'lab',
          name,
          port: 7000,
          options: FAST,
        });
      }
      const { Alice, Bea, Gil, Dave } = members;
      assert.ok(Alice && Bea && Gil && Dave);
      // The gateway hears both LANs; each side hears the gateway by its address on that LAN.
      for (const [name, host] of [
        ['Alice', lab.host('alpha').ipv4],
        ['Bea', lab.host('beta').ipv4],
        ['Dave', lab.host('delta').ipv4],
      ] as const) {
        assert.deepEqual((await Gil.found(name)).endpoint, { host, port: 7000 });
      }
      assert.deepEqual((await Alice.found('Gil')).endpoint, {
        host: gw.interfaces[0]?.ipv4,
        port: 7000,
      });
      assert.deepEqual((await Dave.found('Gil')).endpoint, {
        host: gw.interfaces[1]?.ipv4,
        port: 7000,
      });
      await Alice.found('Bea');
      await Bea.found('Alice');

      // A Python stdlib peer on lan2 is found, and reads dsock's beacons.
      const python = lab.python('delta', 'discovery_peer.py', [
        'lab',
        'Pia',
        7001,
        '--interval',
        250,
      ]);
      try {
        assert.equal(await python.nextLine(15_000), 'READY');
        assert.deepEqual((await Gil.found('Pia')).endpoint, {
          host: lab.host('delta').ipv4,
          port: 7001,
        });
        await python.untilStdout(
          (lines) =>
            lines.some((line) => {
              if (!line.startsWith('{')) return false;
              const { beacon, source } = JSON.parse(line) as {
                beacon: { name: string; room: string; port: number; type: string };
                source: [string, number];
              };
              return (
                beacon.name === 'Gil' &&
                beacon.room === 'lab' &&
                source[0] === gw.interfaces[1]?.ipv4
              );
            }),
          "the gateway's beacon, parsed by the Python peer",
        );
        // It says goodbye at the end of its input.
        python.endInput();
        assert.equal((await Gil.lost('Pia')).reason, 'goodbye');
      } finally {
        await python.close();
      }
      // Members of one LAN never hear members of the other: beacons have TTL 1.
      const gilStats = await Gil.stats();
      assert.equal(gilStats.peers, 3);
      assert.ok(!Alice.events.some((e) => e.name === 'Dave'));
      assert.ok(!Dave.events.some((e) => e.name === 'Alice' || e.name === 'Bea'));
    });
  });

  it('notices a member that goes silent within three intervals, and one that says goodbye at once', async (t) => {
    await onLab(t, async (lab) => {
      const alice = await Member.start(lab, 'alpha', {
        room: 'silence',
        name: 'Alice',
        port: 1,
        options: FAST,
      });
      // Bea vanishes as a process does: killed, without a goodbye.
      const bea = await Member.start(
        lab,
        'beta',
        { room: 'silence', name: 'Bea', port: 2, options: FAST },
        'own process',
      );
      const gil = await Member.start(lab, 'gateway', {
        room: 'silence',
        name: 'Gil',
        port: 3,
        options: FAST,
      });
      await alice.found('Bea');
      await alice.found('Gil');
      bea.runner.child.process.kill('SIGKILL');
      const silent = await alice.lost('Bea');
      assert.equal(silent.reason, 'silent');
      assert.ok((silent.silentFor ?? 0) > 3 * FAST.interval, JSON.stringify(silent));
      await gil.stop();
      assert.equal((await alice.lost('Gil')).reason, 'goodbye');
    });
  });

  it('keeps rooms apart and takes the address from the datagram, never from the beacon', async (t) => {
    await onLab(t, async (lab) => {
      const alice = await Member.start(lab, 'alpha', {
        room: 'mine',
        name: 'Alice',
        port: 1,
        options: FAST,
      });
      await Member.start(lab, 'beta', { room: 'theirs', name: 'Other', port: 2, options: FAST });
      // A beacon of room "mine" that claims to be elsewhere, from beta.
      const liar = JSON.stringify({
        dsock: 1,
        type: 'announce',
        room: 'mine',
        service: 'chat',
        name: 'Liar',
        port: 9,
        node: '00000000000000aa',
        incarnation: 1,
        interval: 250,
        host: '198.18.0.99',
        address: '198.18.0.99',
      });
      const sender = lab.spawn('beta', 'python3', [
        '-S',
        '-c',
        'import socket,sys;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);' +
          's.sendto(sys.argv[1].encode(),("239.255.77.77",47077))',
        liar,
      ]);
      assert.equal(await sender.exitCode(), 0, sender.stderr);
      assert.deepEqual((await alice.found('Liar')).endpoint, {
        host: lab.host('beta').ipv4,
        port: 9,
      });
      const stats = await alice.stats();
      assert.ok((stats.beaconsIgnored as number) > 0, 'room "theirs" was heard and ignored');
      assert.ok(!alice.events.some((e) => e.name === 'Other'));
    });
  });

  it('follows an interface that comes up while it runs', async (t) => {
    await onLab(t, async (lab) => {
      const alice = await Member.start(lab, 'alpha', {
        room: 'plug',
        name: 'Alice',
        port: 1,
        options: FAST,
      });
      const dave = await Member.start(lab, 'delta', {
        room: 'plug',
        name: 'Dave',
        port: 2,
        options: FAST,
      });
      // delta gets a second cable, to lan1: both sides start hearing each other.
      const face = await lab.plugNew('delta', 'lan1', 0, 10);
      try {
        assert.deepEqual((await alice.found('Dave', 20_000)).endpoint, {
          host: face.ipv4,
          port: 2,
        });
        await dave.found('Alice', 20_000);
        const stats = await dave.stats();
        assert.deepEqual(stats.interfaces, ['eth0', 'eth1']);
      } finally {
        // The file's other tests have delta on lan2 only.
        await lab.unplug('delta', face.name);
      }
    });
  });

  it('holds a bounded number of peers and rooms under a flood of beacons', async (t) => {
    await onLab(t, async (lab) => {
      // A process of its own: its heap is measured.
      const watcher = await Member.start(
        lab,
        'alpha',
        {
          room: 'any',
          name: '',
          port: 1,
          browse: {},
          options: { ...FAST, maxPeers: 64, maxRooms: 4 },
        },
        'own process',
      );
      const before = await watcher.stats();
      // 20,000 beacons of distinct nodes in 1,000 rooms, as fast as Python sends them.
      const flood = lab.spawn('beta', 'python3', [
        '-S',
        '-c',
        [
          'import json,os,socket',
          's=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)',
          'for i in range(20000):',
          '  b={"dsock":1,"type":"announce","room":"r%d"%(i%1000),"service":"chat","name":"n%d"%i,' +
            '"port":1,"node":os.urandom(8).hex(),"incarnation":1,"interval":60000}',
          '  s.sendto(json.dumps(b).encode(),("239.255.77.77",47077))',
          's.sendto(b"{"+b"x"*4000,("239.255.77.77",47077))',
        ].join('\n'),
      ]);
      assert.equal(await flood.exitCode(60_000), 0, flood.stderr);
      const after = await watcher.stats();
      assert.ok(
        (after.peers as number) > 0 && (after.peers as number) <= 64,
        JSON.stringify(after),
      );
      assert.ok((after.rooms as number) <= 4);
      assert.ok((after.peersRefused as number) > 0);
      // 64 peers cost little; 20,000 would cost megabytes.
      const grown = (after.heap as number) - (before.heap as number);
      assert.ok(grown < 4 * 1024 * 1024, `heap grew by ${grown} bytes`);
    });
  });
});
