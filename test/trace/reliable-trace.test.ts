import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dsock, type LineChild } from '../helpers/child.js';
import { mergeTraces, readTrace, renderMermaid } from '../../src/index.js';
import { assertCausal, shifted, traceDir } from './scratch.js';

describe('a traced reliable stream through the chaos relay', () => {
  it(
    "draws the relay's drops as the lost arrows, its duplicates and the retransmissions marked",
    { timeout: 60_000 },
    async () => {
      const children: LineChild[] = [];
      const dir = await traceDir();
      try {
        const sink = dsock([
          'sink',
          'udp',
          0,
          '--reliable',
          '--expect',
          30,
          '--idle-timeout',
          20,
          '--host',
          '127.0.0.1',
          '--trace',
          dir.file('sink.jsonl'),
        ]);
        children.push(sink);
        const sinkPort = Number((await sink.stderrMatch(/listening on .*:(\d+)$/))[1]);
        const relay = dsock([
          'chaos',
          'udp',
          0,
          `127.0.0.1:${sinkPort}`,
          '--loss',
          0.25,
          '--dup',
          0.2,
          '--seed',
          14,
          '--trace',
          dir.file('relay.jsonl'),
        ]);
        children.push(relay);
        const relayPort = Number((await relay.stderrMatch(/relaying 127\.0\.0\.1:(\d+) ->/))[1]);
        const streamer = dsock([
          'stream',
          'udp',
          30,
          `127.0.0.1:${relayPort}`,
          '--reliable',
          '--trace',
          dir.file('streamer.jsonl'),
        ]);
        children.push(streamer);
        assert.equal(await streamer.exitCode(40_000), 0, streamer.stderr);
        assert.equal(await sink.exitCode(30_000), 0, sink.stderr);
        relay.process.kill('SIGINT');
        assert.equal(await relay.exitCode(), 0);

        const traces = ['streamer', 'relay', 'sink'].map((n) => readTrace(dir.file(`${n}.jsonl`)));
        const diagram = mergeTraces(traces);
        assert.deepEqual(
          diagram.lifelines.map((l) => l.label.split(' ').slice(0, 2).join(' ')),
          ['stream udp', 'chaos udp', 'sink udp'],
        );
        const relayEvents = traces[1] ?? [];
        const drops = relayEvents.filter((e) => e.event === 'chaos:drop').length;
        const duplicates = relayEvents.filter((e) => e.event === 'chaos:duplicate').length;
        assert.ok(
          drops > 0 && duplicates > 0,
          `the relay dropped ${drops} and duplicated ${duplicates}`,
        );
        // The relay's drops are lost arrows into the relay. On loopback nothing else loses a
        // datagram, but for the last a process sends as it closes its socket, which may not leave.
        const lost = diagram.arrows.filter((a) => a.lost);
        const dropped = lost.filter((a) => a.dropped);
        assert.equal(dropped.length, drops);
        assert.ok(dropped.every((a) => a.to === 1 && a.from !== 1));
        // (The relay's own forwards that nobody received are judged below.)
        for (const arrow of lost.filter((a) => !a.dropped && a.event.event !== 'chaos:forward')) {
          const sender = diagram.rows.filter((r) => r.lifeline === arrow.from);
          const last = sender.slice(-3).map((r) => r.row);
          assert.ok(
            last.includes(arrow.sendRow as number),
            `lost on its way: row ${arrow.sendRow} (${arrow.event.event} of lifeline ` +
              `${arrow.from}, whose last rows are ${sender
                .slice(-5)
                .map((r) => `${r.row} ${r.event.event}`)
                .join(', ')})`,
          );
        }
        assert.equal(diagram.arrows.filter((a) => a.duplicate).length, duplicates);
        assert.ok(diagram.arrows.every((a) => !a.duplicate || a.from === 1));
        // Every forward of the relay reached the traced sink or streamer, but for those sent after
        // the last one the receiver took (a late duplicate or acknowledgement, as it closes its
        // socket): a forward lost while a later one arrived would be a loss. Sends are compared
        // with sends: the relay may send a datagram's two copies before the receiver takes the
        // first, and close after it.
        const forwards = diagram.arrows.filter((a) => a.event.event === 'chaos:forward');
        const lastTaken = (lifeline: number): number =>
          Math.max(
            ...forwards
              .filter((a) => a.to === lifeline && a.receiveRow !== undefined)
              .map((a) => a.sendRow as number),
          );
        const unreceived = forwards.filter((a) => a.receiveRow === undefined);
        assert.ok(forwards.length > unreceived.length);
        for (const arrow of unreceived) {
          assert.ok(
            (arrow.sendRow as number) > lastTaken(arrow.to),
            `forward at row ${arrow.sendRow} to lifeline ${arrow.to} lost, while one sent after it arrived`,
          );
        }
        // Drops cost retransmissions, marked on the streamer's arrows.
        const retransmissions = diagram.arrows.filter((a) => a.retransmit);
        assert.ok(retransmissions.length > 0);
        assert.ok(retransmissions.every((a) => a.from === 0 && a.event.event === 'reliable:send'));
        assertCausal(diagram);
        assertCausal(
          mergeTraces([traces[0] ?? [], shifted(traces[1] ?? [], 5_000), traces[2] ?? []]),
        );
        // Mermaid: as many lost arrows (-x) as drops.
        const mermaid = renderMermaid(diagram);
        assert.equal((mermaid.match(/^ {2}p\d+-xp\d+:/gm) ?? []).length, lost.length);
        assert.equal((mermaid.match(/\(dropped by relay\)/g) ?? []).length, drops);
      } finally {
        await Promise.all(children.map((c) => c.close()));
        await dir.remove();
      }
    },
  );
});
