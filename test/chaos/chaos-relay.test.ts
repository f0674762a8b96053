import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChaosRelay, DatagramSocket, type Faults } from '../../src/index.js';
import { FaultPlan } from '../../src/chaos/fault-plan.js';
import { until, within } from '../helpers/bounded.js';
import { activeTimers } from '../helpers/resources.js';

const open: { close(): Promise<void> }[] = [];
function track<T extends { close(): Promise<void> }>(resource: T): T {
  open.push(resource);
  return resource;
}
after(async () => {
  await Promise.all(open.map((resource) => resource.close()));
});

/** How many copies of each of `n` datagrams a plan delivers, in order of the datagrams. */
function predict(faults: Faults, holdBack: number, n: number): number[] {
  const plan = new FaultPlan(faults, holdBack);
  return Array.from({ length: n }, () => plan.decide().deliveries.length);
}

let lastSender = { host: '', port: 0 };

/** Receives until `count` datagrams arrived, then returns how often each payload came. */
async function receiveCounts(socket: DatagramSocket, count: number): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const { data, sender } = await within(socket.recvFrom(), 5000, `datagram ${i + 1} of ${count}`);
    const key = data.toString();
    lastSender = sender;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return seen;
}

describe('ChaosRelay', () => {
  it('drops, duplicates and reorders exactly as its seeded plans decide, in both directions', async () => {
    const n = 300;
    const faults = { loss: 0.3, dup: 0.2, reorder: 0.2, jitter: 1, seed: 1234 };
    const holdBack = 2;
    const target = track(await DatagramSocket.bind('127.0.0.1:0'));
    const client = track(await DatagramSocket.bind('127.0.0.1:0'));
    const relay = track(
      await ChaosRelay.start({
        listen: '127.0.0.1:0',
        target: target.localEndpoint,
        faults,
        holdBack,
      }),
    );
    assert.deepEqual(relay.seeds, { toTarget: 1234, toClient: 1235 });

    const there = predict(faults, holdBack, n);
    const expectedThere = there.reduce((a, b) => a + b, 0);
    for (let i = 0; i < n; i++) {
      await client.sendTo(`m${i}`, relay.localEndpoint);
      // In steps, so that no socket buffer overflows: the relay must lose only what it decides.
      if (i % 50 === 49) await until(() => relay.stats.toTarget.received === i + 1, 2000, 'relay');
    }
    const arrived = await receiveCounts(target, expectedThere);
    const mappingOf = lastSender;
    assert.notEqual(mappingOf.port, client.localEndpoint.port);
    there.forEach((copies, i) =>
      assert.equal(arrived.get(`m${i}`) ?? 0, copies, `copies of m${i}`),
    );

    // The target answers each distinct datagram once, to the mapping socket it came from.
    const answered = [...arrived.keys()];
    const from = mappingOf;
    const back = predict({ ...faults, seed: 1235 }, holdBack, answered.length);
    for (const [i, key] of answered.entries()) {
      await target.sendTo(`re:${key}`, from);
      if (i % 50 === 49) await until(() => relay.stats.toClient.received === i + 1, 2000, 'relay');
    }
    const returned = await receiveCounts(
      client,
      back.reduce((a, b) => a + b, 0),
    );
    answered.forEach((key, i) => assert.equal(returned.get(`re:${key}`) ?? 0, back[i], key));

    const stats = relay.stats;
    assert.equal(stats.toClient.received, answered.length);
    assert.equal(stats.toTarget.forwarded, expectedThere);
    assert.equal(stats.toTarget.received, n);
    assert.equal(stats.total.dropped, stats.toTarget.dropped + stats.toClient.dropped);
    assert.ok(stats.toTarget.dropped > 0 && stats.toTarget.duplicated > 0);
    assert.ok(stats.toTarget.reordered > 0);
  });

  it("routes each target's answers back to the client they answer", async () => {
    const echo = track(await DatagramSocket.bind('127.0.0.1:0'));
    const relay = track(await ChaosRelay.start({ target: echo.localEndpoint }));
    const a = track(await DatagramSocket.bind('127.0.0.1:0'));
    const b = track(await DatagramSocket.bind('127.0.0.1:0'));
    const echoing = (async () => {
      const sources = new Set<number>();
      for (let i = 0; i < 6; i++) {
        const { data, sender } = await echo.recvFrom();
        sources.add(sender.port);
        await echo.sendTo(data, sender);
      }
      return sources;
    })();
    for (let i = 0; i < 3; i++) {
      await a.sendTo(`a${i}`, relay.localEndpoint);
      await b.sendTo(`b${i}`, relay.localEndpoint);
    }
    for (let i = 0; i < 3; i++) {
      const fromA = await within(a.recvFrom(), 2000, 'echo to a');
      const fromB = await within(b.recvFrom(), 2000, 'echo to b');
      assert.equal(fromA.data.toString(), `a${i}`);
      assert.deepEqual(fromA.sender, relay.localEndpoint);
      assert.equal(fromB.data.toString(), `b${i}`);
    }
    const sources = await within(echoing, 2000, 'the echo loop');
    assert.equal(sources.size, 2, 'one mapping socket per client');
    assert.ok(!sources.has(a.localEndpoint.port) && !sources.has(relay.localEndpoint.port));
    assert.equal(relay.clientCount, 2);
    assert.equal(relay.stats.toTarget.forwarded, 6);
    assert.equal(relay.stats.toClient.forwarded, 6);
  });

  it('caps and expires client mappings', async () => {
    const target = track(await DatagramSocket.bind('127.0.0.1:0'));
    const relay = track(
      await ChaosRelay.start({ target: target.localEndpoint, maxClients: 2, idleTimeout: 40 }),
    );
    const clients = [];
    for (let i = 0; i < 3; i++) {
      const client = track(await DatagramSocket.bind('127.0.0.1:0'));
      clients.push(client);
      await client.sendTo(`c${i}`, relay.localEndpoint);
      await within(target.recvFrom(), 2000, `c${i} at the target`);
      assert.ok(relay.clientCount <= 2, `${relay.clientCount} mappings`);
    }
    assert.equal(relay.stats.mappingsCreated, 3);
    assert.ok(relay.stats.mappingsExpired >= 1);
    await until(() => relay.clientCount === 0, 2000, 'idle mappings to expire');
  });

  it('close cancels every delayed delivery and closes every socket', async () => {
    const timersBefore = activeTimers();
    const target = track(await DatagramSocket.bind('127.0.0.1:0'));
    const relay = await ChaosRelay.start({
      target: target.localEndpoint,
      faults: { delay: 60_000 },
    });
    const client = track(await DatagramSocket.bind('127.0.0.1:0'));
    for (let i = 0; i < 20; i++) await client.sendTo(`late${i}`, relay.localEndpoint);
    await until(() => relay.pendingDeliveries === 20, 2000, '20 datagrams held by the relay');
    assert.ok(activeTimers() >= timersBefore + 20);
    await within(relay.close(), 2000, 'relay close');
    assert.equal(relay.pendingDeliveries, 0);
    assert.equal(relay.clientCount, 0);
    assert.equal(activeTimers(), timersBefore, 'no timer left behind');
    assert.equal(relay.stats.toTarget.forwarded, 0);
    await within(relay.close(), 1000, 'second close');
    // The listening port is free again.
    const again = track(await DatagramSocket.bind(relay.localEndpoint));
    assert.equal(again.localEndpoint.port, relay.localEndpoint.port);
  });

  it('refuses bad options with errors that name them', async () => {
    await assert.rejects(
      ChaosRelay.start({ target: 5000, faults: { loss: 2 } }),
      /loss must be a probability from 0 to 1, got 2/,
    );
    await assert.rejects(ChaosRelay.start({ target: 0 }), /port other than 0/);
    await assert.rejects(ChaosRelay.start({ target: 5000, holdBack: -1 }), /holdBack/);
    await assert.rejects(ChaosRelay.start({ target: 5000, maxClients: 0 }), /maxClients/);
  });
});
