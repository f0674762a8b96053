import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { channel } from 'node:diagnostics_channel';
import {
  DatagramSocket,
  mergeTraces,
  readTrace,
  renderHtml,
  renderMermaid,
  renderSvg,
  subscribeTrace,
  traceChannelNames,
  TraceFileError,
  TraceRecorder,
  type TraceEvent,
} from '../../src/index.js';
import { dsock } from '../helpers/child.js';
import { dsockEach } from '../helpers/dsock-batch.js';
import { traceDir } from './scratch.js';

const GOOD = JSON.stringify({
  v: 1,
  seq: 1,
  mono: 1,
  wall: 1,
  pid: 1,
  command: 'x',
  event: 'datagram:send',
});

async function view(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = dsock(['trace', 'view', ...args]);
  try {
    const code = await child.exitCode();
    return { code, stdout: child.stdoutLines.join('\n'), stderr: child.stderr };
  } finally {
    await child.close();
  }
}

describe('trace files', () => {
  it('refuses a missing file and a malformed line with a TraceFileError naming file and line', async () => {
    const dir = await traceDir();
    try {
      assert.throws(
        () => readTrace(dir.file('none.jsonl')),
        (e: unknown) =>
          e instanceof TraceFileError && e.message === `${dir.file('none.jsonl')}: no such file`,
      );
      const bad = dir.file('bad.jsonl');
      writeFileSync(bad, `${GOOD}\n{"v":1,\n${GOOD}\n`);
      assert.throws(
        () => readTrace(bad),
        (e: unknown) =>
          e instanceof TraceFileError &&
          e.line === 2 &&
          e.message === `${bad}:2: not JSON: a trace holds one JSON object a line`,
      );
      writeFileSync(bad, `${GOOD}\n[1,2]\n`);
      assert.throws(() => readTrace(bad), { message: `${bad}:2: not a JSON object` });
      writeFileSync(
        bad,
        `${GOOD}\n{"v":1,"seq":"2","mono":1,"wall":1,"pid":1,"command":"x","event":"e"}\n`,
      );
      assert.throws(() => readTrace(bad), {
        message: `${bad}:2: "seq" is missing or not a number`,
      });
      // A last line cut short by a kill, without its newline, is left out; the rest is read.
      writeFileSync(bad, `${GOOD}\n${GOOD.slice(0, 20)}`);
      assert.equal(readTrace(bad).length, 1);

      writeFileSync(bad, `${GOOD}\nnot json\n`);
      // The command lines run one after another in one process (each ends by itself).
      const [missing, malformed, usage, none] = await dsockEach([
        ['trace', 'view', dir.file('none.jsonl')],
        ['trace', 'view', bad],
        ['trace', 'view', bad, '--format', 'png'],
        ['trace', 'view'],
      ]);
      assert.deepEqual(missing, {
        code: 1,
        out: [],
        err: [`dsock trace view: ${dir.file('none.jsonl')}: no such file`],
        leftOpen: [],
      });
      assert.deepEqual(malformed, {
        code: 1,
        out: [],
        err: [`dsock trace view: ${bad}:2: not JSON: a trace holds one JSON object a line`],
        leftOpen: [],
      });
      assert.equal(usage?.code, 2);
      assert.deepEqual(usage?.err.length, 1);
      assert.match(
        usage?.err[0] ?? '',
        /^dsock trace view: invalid --format "png": expected one of mermaid, svg, html, text \(see dsock trace view --help\)$/,
      );
      assert.equal(none?.code, 2);
    } finally {
      await dir.remove();
    }
  });

  it('--trace: a refused command line leaves no file, an unwritable one is one line and exit 1', async () => {
    const dir = await traceDir();
    try {
      const file = dir.file('never.jsonl');
      const refused = dsock(['udp', 'listen', 'notaport', '--trace', file]);
      assert.equal(await refused.exitCode(), 2);
      await refused.close();
      assert.equal(existsSync(file), false);
      const unwritable = dsock(['ips', '--trace', dir.file('no/such/dir/t.jsonl')]);
      assert.equal(await unwritable.exitCode(), 1);
      await unwritable.close();
      assert.match(unwritable.stderr, /^dsock ips: .*t\.jsonl: cannot write the trace \(ENOENT\)$/);
      const empty = dsock(['ips', '--trace', file]);
      assert.equal(await empty.exitCode(), 0);
      await empty.close();
      assert.deepEqual(readTrace(file), []);
      const drawn = await view([file, '--format', 'text']);
      assert.deepEqual(drawn, { code: 0, stdout: '', stderr: '' });
    } finally {
      await dir.remove();
    }
  });

  it('writes at most maxBytes, the last line saying the trace was cut', async () => {
    const dir = await traceDir();
    const socket = await DatagramSocket.bind('127.0.0.1:0');
    try {
      const file = dir.file('capped.jsonl');
      const recorder = TraceRecorder.open(file, { maxBytes: 4096 });
      for (let i = 0; i < 100; i++) await socket.sendTo(`datagram ${i}`, socket.localEndpoint);
      recorder.close();
      const events = readTrace(file);
      assert.ok(events.length > 5 && events.length < 30, `${events.length} events`);
      assert.equal(events.at(-1)?.event, 'trace:truncated');
      assert.ok(events.slice(0, -1).every((e) => e.event === 'datagram:send'));
    } finally {
      await socket.close();
      await dir.remove();
    }
  });

  it('subscribes to every channel and leaves none subscribed after', async () => {
    const names = traceChannelNames();
    assert.ok(names.includes('dsock:datagram:send') && names.includes('dsock:chaos:drop'));
    assert.ok(names.every((n) => !channel(n).hasSubscribers));
    const seen: TraceEvent[] = [];
    const stop = subscribeTrace((e) => seen.push(e), { process: { command: 'test', name: 'me' } });
    assert.ok(names.every((n) => channel(n).hasSubscribers));
    const a = await DatagramSocket.bind('127.0.0.1:0');
    try {
      await a.sendTo(Buffer.from([0, 0x1b, 0x5c, 0x41]), a.localEndpoint);
      await a.recvFrom(10, { timeout: 5000 });
    } finally {
      await a.close();
      stop();
    }
    assert.ok(names.every((n) => !channel(n).hasSubscribers));
    assert.deepEqual(
      seen.map((e) => [e.event, e.size, e.preview, e.name]),
      [
        ['datagram:send', 4, '\\x00\\x1b\\\\A', 'me'],
        ['datagram:receive', 4, '\\x00\\x1b\\\\A', 'me'],
      ],
    );
    assert.equal(seen[0]?.digest, seen[1]?.digest);
    assert.ok((seen[1]?.mono ?? 0) >= (seen[0]?.mono ?? Infinity));
  });

  it('escapes hostile names and previews in Mermaid, SVG and HTML', () => {
    const hostile = '</script><img src=x onerror=alert(1)>"\'&;#%%\n end';
    const base = {
      v: 1,
      mono: 1,
      wall: 1,
      command: 'chat udp',
      name: hostile,
      size: 3,
      digest: 'd',
      preview: hostile,
    };
    const events: TraceEvent[][] = [
      [
        {
          ...base,
          seq: 1,
          pid: 1,
          event: 'datagram:send',
          local: '127.0.0.1:1',
          remote: '127.0.0.1:2',
        },
      ],
      [
        {
          ...base,
          seq: 1,
          pid: 2,
          event: 'datagram:receive',
          local: '127.0.0.1:2',
          remote: '127.0.0.1:1',
        },
      ],
    ];
    const diagram = mergeTraces(events);
    const mermaid = renderMermaid(diagram);
    assert.equal(mermaid.split('\n').length, 5, mermaid);
    // Only entity codes (#60;) are left of the characters Mermaid reads as syntax.
    const labels = mermaid.replace(/^ {2}p\d+(?:->>|-x)p\d+: /gm, '').replace(/#\d+;/g, '');
    assert.doesNotMatch(labels, /[<>"';&%#]|\n end/);
    for (const markup of [renderSvg(diagram), renderHtml(diagram, hostile)]) {
      assert.doesNotMatch(markup, /<img|<\/script><|onerror=alert\(1\)>/);
      assert.ok(markup.includes('&#60;img src=x onerror=alert(1)&#62;'));
    }
    assert.doesNotMatch(renderHtml(diagram), /https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    // The page's script makes the details shown on hover from a table of the events in the
    // page: the hostile preview is in it whole, and no '<' that could end the script element.
    const table = /<script type="application\/json" id="events">([^<]*)<\/script>/.exec(
      renderHtml(diagram, hostile),
    );
    assert.ok(table, 'the page holds its table of events, with no "<" in it');
    const details = JSON.parse(table[1] as string) as { arrows: unknown[][]; strings: string[] };
    assert.equal(details.arrows.length, diagram.arrows.length);
    assert.equal(details.arrows[0]?.[8], hostile);
  });
});
