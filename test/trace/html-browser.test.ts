import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';
import { dsock, LineChild } from '../helpers/child.js';
import { mergeTraces, readTrace } from '../../src/index.js';
import { traceDir } from './scratch.js';

/** Debian's Chromium, or undefined when the machine has none. */
function chromiumPath(): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

const CHROMIUM = chromiumPath();
const MISSING =
  'Chromium is not installed (apt-get install chromium; .ci/run installs it): ' +
  'the HTML page is not checked in a browser';
if (CHROMIUM === undefined && process.env.CI !== 'true') console.log(`# skipped: ${MISSING}`);

/**
 * Runs headless Chromium on `url` with `flags` in a profile of its own, and returns its stdout.
 * The browser and every process it started are killed when it is done or after `ms`.
 */
async function chromium(url: string, flags: string[], ms = 60_000): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'dsock-chromium-'));
  const browser = new LineChild(
    CHROMIUM as string,
    [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      ...flags,
      url,
    ],
    { group: true },
  );
  try {
    const code = await browser.exitCode(ms);
    assert.equal(code, 0, `chromium exited ${code}; stderr:\n${browser.stderr}`);
    return browser.stdoutLines.join('\n');
  } finally {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The pixels of an 8-bit RGB or RGBA PNG, decoded with node:zlib: one number per pixel. */
function pngPixels(png: Buffer): { width: number; height: number; pixels: Uint32Array } {
  assert.ok(png.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])), 'PNG');
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  for (let at = 8; at + 12 <= png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      assert.equal(body[8], 8, 'bit depth 8');
      assert.equal(body[12], 0, 'not interlaced');
      channels = body[9] === 6 ? 4 : body[9] === 2 ? 3 : 0;
      assert.ok(channels > 0, `colour type ${body[9]}`);
    } else if (type === 'IDAT') {
      data.push(body);
    } else if (type === 'IEND') {
      break;
    }
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  assert.equal(raw.length, height * (stride + 1), 'scanlines of the announced size');
  const pixels = new Uint32Array(width * height);
  let previous = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? (line[i - channels] as number) : 0;
      const b = previous[i] as number;
      const c = i >= channels ? (previous[i - channels] as number) : 0;
      let add = 0;
      if (filter === 1) add = a;
      else if (filter === 2) add = b;
      else if (filter === 3) add = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        add = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else assert.equal(filter, 0, `scanline filter ${filter}`);
      line[i] = ((line[i] as number) + add) & 0xff;
    }
    for (let x = 0; x < width; x++) {
      const o = x * channels;
      pixels[y * width + x] =
        (((line[o] as number) << 16) | ((line[o + 1] as number) << 8) | (line[o + 2] as number)) >>>
        0;
    }
    previous = line;
  }
  return { width, height, pixels };
}

describe('the HTML page in a real browser', () => {
  it(
    'Chromium draws one arrow per datagram, a cross per relay drop, and a picture that is not blank',
    { timeout: 120_000 },
    async (t) => {
      if (CHROMIUM === undefined) {
        assert.notEqual(process.env.CI, 'true', MISSING);
        t.skip(MISSING);
        return;
      }
      const children: LineChild[] = [];
      const dir = await traceDir();
      try {
        // A streamer through a lossy chaos relay into a sink, each traced, on loopback.
        const traced = (name: string): string[] => ['--trace', dir.file(`${name}.jsonl`)];
        const receiver = dsock([
          'sink',
          'udp',
          0,
          '--idle-timeout',
          1,
          '--host',
          '127.0.0.1',
          ...traced('sink'),
        ]);
        children.push(receiver);
        const sinkPort = Number((await receiver.stderrMatch(/listening on .*:(\d+)$/))[1]);
        const relay = dsock([
          'chaos',
          'udp',
          0,
          `127.0.0.1:${sinkPort}`,
          '--loss',
          0.3,
          '--seed',
          14,
          ...traced('relay'),
        ]);
        children.push(relay);
        const relayPort = Number((await relay.stderrMatch(/relaying 127\.0\.0\.1:(\d+) ->/))[1]);
        const streamer = dsock([
          'stream',
          'udp',
          24,
          `127.0.0.1:${relayPort}`,
          '--rate',
          500,
          ...traced('streamer'),
        ]);
        children.push(streamer);
        assert.equal(await streamer.exitCode(30_000), 0, streamer.stderr);
        assert.equal(await receiver.exitCode(30_000), 0, receiver.stderr);
        relay.process.kill('SIGINT');
        assert.equal(await relay.exitCode(), 0, relay.stderr);

        const files = ['streamer', 'relay', 'sink'].map((n) => dir.file(`${n}.jsonl`));
        const events = files.flatMap((f) => readTrace(f));
        const sends = events.filter((e) => e.event === 'datagram:send').length;
        const forwards = events.filter((e) => e.event === 'chaos:forward').length;
        const drops = events.filter((e) => e.event === 'chaos:drop').length;
        assert.ok(sends >= 24 && drops > 0, `${sends} sent, ${drops} dropped`);
        const lost = mergeTraces(files.map((f) => readTrace(f))).arrows.filter(
          (a) => a.lost,
        ).length;

        const page = dir.file('run.html');
        const view = dsock(['trace', 'view', ...files, '--format', 'html', '-o', page]);
        children.push(view);
        assert.equal(await view.exitCode(), 0, view.stderr);
        const url = pathToFileURL(page).href;

        // The DOM after the page's script ran: one arrow per datagram sent or forwarded.
        const dom = await chromium(url, ['--dump-dom']);
        assert.match(dom, /<\/svg>/, 'the browser kept the picture');
        const arrows = dom.match(/<g class="arrow[ "]/g)?.length ?? 0;
        assert.equal(arrows, sends + forwards, 'one arrow per datagram');
        const crosses = dom.match(/<path class="cross"/g)?.length ?? 0;
        assert.equal(crosses, lost);
        assert.ok(crosses >= drops, `${crosses} crosses for ${drops} drops`);
        assert.match(dom, new RegExp(`${arrows} arrows, ${lost} lost`));

        const shot = dir.file('run.png');
        await chromium(url, [`--screenshot=${shot}`, '--window-size=1200,800']);
        const { width, height, pixels } = pngPixels(readFileSync(shot));
        assert.deepEqual([width, height], [1200, 800]);
        const background = pixels[0] as number;
        const other = pixels.reduce((n, p) => (p === background ? n : n + 1), 0);
        const colours = new Set(pixels).size;
        assert.ok(
          other > width * height * 0.01 && colours > 2,
          `${other} pixels differ from the background, ${colours} colours`,
        );
      } finally {
        await Promise.all(children.map((c) => c.close()));
        await dir.remove();
      }
    },
  );
});
