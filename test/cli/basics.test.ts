import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dsock } from '../helpers/child.js';
import { dsockEach, type DsockResult } from '../helpers/dsock-batch.js';

async function run(args: (string | number)[]) {
  const child = dsock(args);
  try {
    child.endInput();
    const code = await child.exitCode();
    return { code, out: child.stdoutLines, err: child.stderrLines };
  } finally {
    await child.close();
  }
}

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

describe('dsock command line', () => {
  it('prints help and the version', async () => {
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    for (const command of ['chat udp', 'stream udp', 'sink udp', 'echo server', 'chat tcp group']) {
      assert.ok(
        help.out.some((l) => l.includes(command)),
        `help lists ${command}`,
      );
    }
    assert.deepEqual((await run(['--version'])).out, [version]);
    const sub = await run(['chat', 'udp', '--help']);
    assert.equal(sub.code, 0);
    assert.match(sub.out[0] ?? '', /^Usage: dsock chat udp PORT/);
  });

  it('lists local addresses, IPv4 by default', async () => {
    const v4 = await run(['ips', '--json']);
    assert.equal(v4.code, 0);
    const listed = JSON.parse(v4.out.join('\n')) as {
      address: string;
      family: string;
      reach: string;
    }[];
    assert.ok(listed.some((a) => a.address === '127.0.0.1' && a.reach === 'this machine'));
    assert.ok(listed.every((a) => a.family === 'IPv4'));
    const all = await run(['ips', '--all', '--json']);
    assert.ok((JSON.parse(all.out.join('\n')) as unknown[]).length >= listed.length);
  });

  const bad: [string[], RegExp][] = [
    [['frobnicate'], /unknown command "frobnicate"/],
    [['chat', 'smoke'], /unknown command "chat smoke".*udp/],
    [['chat', 'udp', '70000'], /invalid PORT "70000"/],
    [['chat', 'udp', 'eighty'], /invalid PORT "eighty"/],
    [['chat', 'udp', '8080', '127.0.0.1'], /invalid PEER "127\.0\.0\.1": a port is required/],
    [['echo', 'client', 'localhost'], /a port is required/],
    [['echo', 'client', '::1:7000'], /\[::1\]:7000/],
    [['udp', 'send', '127.0.0.1:'], /missing port/],
    [['sink', 'udp', '9000', '--expect', 'many'], /invalid --expect "many"/],
    [['stream', 'udp', '10'], /missing PEER/],
    [['stream', 'udp', 'ten', '127.0.0.1:9'], /invalid COUNT "ten": expected an integer/],
    [['echo', 'server', '7000', '--bogus'], /Unknown option '--bogus'/],
  ];
  // The command lines run one after another in one process (none of them waits on anything).
  let results: Promise<DsockResult[]> | undefined;
  for (const [i, [args, message]] of bad.entries()) {
    it(`refuses "dsock ${args.join(' ')}" with one line and exit 2`, async () => {
      results ??= dsockEach(bad.map(([line]) => line));
      const result = (await results)[i] as DsockResult;
      assert.equal(result.code, 2);
      assert.equal(result.err.length, 1, result.err.join('\n'));
      assert.match(result.err[0] ?? '', message);
      assert.deepEqual(result.out, []);
      assert.deepEqual(result.leftOpen, [], 'nothing is left open to keep it running');
    });
  }
});
