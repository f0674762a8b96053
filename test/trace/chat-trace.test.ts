import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chatShows } from '../helpers/chat.js';
import { dsock, type LineChild } from '../helpers/child.js';
import { mergeTraces, readTrace, renderMermaid, renderSvg } from '../../src/index.js';
import { assertCausal, shifted, traceDir } from './scratch.js';

async function chat(children: LineChild[], name: string, file: string, peers: string[]) {
  const child = dsock([
    'chat',
    'udp',
    0,
    ...peers,
    '--name',
    name,
    '--host',
    '127.0.0.1',
    '--trace',
    file,
  ]);
  children.push(child);
  const port = Number((await child.stderrMatch(/chatting on .*:(\d+)$/))[1]);
  return { child, port };
}

describe('a traced UDP chat of three', () => {
  it('pairs every datagram with its receive, names the lifelines, and keeps causality under a clock offset', async () => {
    const children: LineChild[] = [];
    const dir = await traceDir();
    try {
      const alice = await chat(children, 'alice', dir.file('alice.jsonl'), []);
      const peerA = `127.0.0.1:${alice.port}`;
      const bob = await chat(children, 'bob', dir.file('bob.jsonl'), [peerA]);
      const carol = await chat(children, 'carol', dir.file('carol.jsonl'), [peerA]);
      bob.child.write('hi from bob\n');
      await chatShows(alice.child, 'bob', 'hi from bob');
      carol.child.write('carol; here <b>\n');
      await chatShows(alice.child, 'carol', 'carol; here <b>');
      await alice.child.stderrMatch(new RegExp(`new peer 127\\.0\\.0\\.1:${carol.port}`));
      alice.child.write('hello both\n');
      await chatShows(bob.child, 'alice', 'hello both');
      await chatShows(carol.child, 'alice', 'hello both');
      for (const peer of [carol, bob, alice]) {
        peer.child.endInput();
        assert.equal(await peer.child.exitCode(), 0, peer.child.stderr);
      }

      const traces = ['alice', 'bob', 'carol'].map((n) => readTrace(dir.file(`${n}.jsonl`)));
      for (const [i, events] of traces.entries()) {
        assert.ok(events.length > 0, `trace ${i} is empty`);
        assert.ok(events.every((e) => e.command === 'chat udp' && typeof e.pid === 'number'));
      }
      const diagram = mergeTraces(traces);
      assert.deepEqual(
        diagram.lifelines.map((l) => l.label),
        ['alice (chat udp)', 'bob (chat udp)', 'carol (chat udp)'],
      );
      // Every datagram between the three was received by its addressee: no arrow is lost.
      const sends = diagram.rows.filter((r) => r.event.event === 'datagram:send');
      assert.ok(sends.length >= 4, `${sends.length} datagrams sent`);
      const paired = diagram.arrows.filter(
        (a) => a.sendRow !== undefined && a.receiveRow !== undefined,
      );
      assert.equal(paired.length, sends.length, 'every send has its receive');
      assert.equal(diagram.arrows.filter((a) => a.lost).length, 0);
      assertCausal(diagram);
      for (const arrow of paired) {
        const receive = diagram.rows[arrow.receiveRow as number]?.event;
        assert.equal(receive?.digest, arrow.event.digest);
        assert.notEqual(arrow.from, arrow.to);
      }
      // Bob's message went from bob's lifeline to alice's.
      const fromBob = paired.find((a) => a.event.preview?.includes('hi from bob'));
      assert.ok(fromBob, "an arrow carries bob's message");
      assert.deepEqual([fromBob.from, fromBob.to], [1, 0]);

      // Carol's clock an hour behind, bob's a minute ahead: the same arrows, still causal.
      const skewed = mergeTraces([
        traces[0] ?? [],
        shifted(traces[1] ?? [], 60_000),
        shifted(traces[2] ?? [], -3_600_000),
      ]);
      assert.equal(
        skewed.arrows.filter((a) => a.receiveRow !== undefined && a.sendRow !== undefined).length,
        paired.length,
      );
      assertCausal(skewed);

      // The Mermaid text escapes what peers chose: no label holds Mermaid syntax (carol's "; <b>").
      const mermaid = renderMermaid(diagram);
      const lines = mermaid.trimEnd().split('\n');
      assert.equal(lines[0], 'sequenceDiagram');
      assert.equal(lines[1], '  participant p0 as alice (chat udp)');
      const text = '[^;#<>:\n]*(?:#\\d+;[^;#<>:\n]*)*';
      const statement = new RegExp(
        `^  (?:participant p\\d+ as ${text}|p\\d+(?:->>|-x)p\\d+: ${text}|Note over p\\d+: ${text})$`,
      );
      for (const line of lines.slice(1)) assert.match(line, statement);
      // The SVG shows the whole preview on hover, as text: "<b>" is no element.
      const svg = renderSvg(diagram);
      assert.ok(svg.includes('carol; here &#60;b&#62;'), 'the preview is in the SVG, escaped');
      assert.doesNotMatch(svg, /<b>/);
      assert.equal((mermaid.match(/->>/g) ?? []).length, paired.length);
    } finally {
      await Promise.all(children.map((c) => c.close()));
      await dir.remove();
    }
  });
});
