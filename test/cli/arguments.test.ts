import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dsock } from '../helpers/child.js';
import { dsockEach, type DsockResult } from '../helpers/dsock-batch.js';

describe('dsock numbers, hosts and peers on the command line', () => {
  const refused: [string[], RegExp][] = [
    // Options in seconds speak seconds, and a duration longer than Node's timers is refused
    // (it used to print a RangeError in milliseconds after binding).
    [
      ['sink', 'udp', '0', '--idle-timeout', '1e12'],
      /^dsock sink udp: invalid --idle-timeout "1e12": expected a number of seconds from 0\.001 to 86400 \(/,
    ],
    // --delay 1e12 used to be accepted and silently become 1 ms.
    [
      ['chaos', 'udp', '0', '127.0.0.1:9', '--delay', '1e12'],
      /invalid --delay "1e12": expected a number of milliseconds from 0 to 60000/,
    ],
    [
      ['chaos', 'udp', '0', '127.0.0.1:9', '--jitter', '3e9'],
      /invalid --jitter "3e9": expected a number of milliseconds/,
    ],
    // Negative numbers used to give "argument is ambiguous" or "Unknown option '-1'".
    [
      ['sink', 'udp', '0', '--idle-timeout', '-1'],
      /invalid --idle-timeout "-1": expected a number of seconds from 0\.001/,
    ],
    [
      ['chaos', 'udp', '0', '127.0.0.1:9', '--loss', '-0.5'],
      /invalid --loss "-0\.5": expected a number from 0 to 1/,
    ],
    [['chaos', 'udp', '0', '127.0.0.1:9', '--delay=-5'], /invalid --delay "-5"/],
    [['stream', 'udp', '-1', '127.0.0.1:9'], /invalid COUNT "-1": expected an integer from 0/],
    [
      ['stream', 'udp', '1e300', '127.0.0.1:9'],
      /invalid COUNT "1e300": expected an integer from 0 to 1000000000/,
    ],
    [
      ['sink', 'udp', '0', '--expect', '-.5'],
      /invalid --expect "-\.5": expected an integer from 0/,
    ],
    [['chat', 'udp', '-5'], /invalid PORT "-5": a port is an integer from 0 to 65535/],
    [
      ['stream', 'udp', '1', '127.0.0.1:9', '--reliable', '--peer-timeout', '0'],
      /^dsock stream udp: invalid --peer-timeout "0": expected a number of seconds from 0\.001/,
    ],
    // Without --reliable there is no peer timeout: refused, not silently ignored.
    [
      ['stream', 'udp', '1', '127.0.0.1:9', '--peer-timeout', '3'],
      /^dsock stream udp: --peer-timeout needs --reliable \(see dsock stream udp --help\)$/,
    ],
    // The sink sends nothing for a streamer to acknowledge: a peer timeout would change nothing.
    [
      ['sink', 'udp', '0', '--host', '127.0.0.1', '--reliable', '--peer-timeout', '3'],
      /^dsock sink udp: Unknown option '--peer-timeout' \(see dsock sink udp --help\)$/,
    ],
    [['chat', 'udp', '0', '--name', '-bob'], /option --name needs a value; write --name=VALUE/],
    // A bracketed address without a port used to be answered with "write [[:]:1]".
    [
      ['udp', 'send', '[::1]', 'hi'],
      /invalid HOST:PORT "\[::1\]": a port is required \(HOST:PORT\); for an IPv6 address with a port write \[::1\]:PORT/,
    ],
    [['udp', 'send', 'fe80::1', 'hi'], /write \[fe80::1\]:PORT/],
    // Port 0 cannot be sent to: a usage error, no longer a failure after binding.
    [
      ['udp', 'send', '127.0.0.1:0', 'hi'],
      /invalid HOST:PORT "127\.0\.0\.1:0": port 0 cannot be sent to/,
    ],
    [
      ['chat', 'udp', '0', '127.0.0.1:0'],
      /invalid PEER "127\.0\.0\.1:0": port 0 cannot be sent to/,
    ],
    // --host with a port used to print the endpoint as JSON and exit 1.
    [
      ['udp', 'listen', '0', '--host', '127.0.0.1:5'],
      /^dsock udp listen: invalid --host "127\.0\.0\.1:5": give the address alone, without a port or brackets \(--host 127\.0\.0\.1\)/,
    ],
    [
      ['sink', 'udp', '0', '--host', '[::1]:9000'],
      /invalid --host "\[::1\]:9000": give the address alone.*\(--host ::1\)/,
    ],
    [
      ['echo', 'server', '0', '--host', 'no such host'],
      /invalid --host "no such host": expected an IPv4 address, an IPv6 address or a host name/,
    ],
  ];
  // The command lines run one after another in one process (none of them waits on anything).
  let results: Promise<DsockResult[]> | undefined;
  for (const [i, [args, message]] of refused.entries()) {
    it(`refuses "dsock ${args.join(' ')}" with one line and exit 2`, async () => {
      results ??= dsockEach(refused.map(([line]) => line));
      const result = (await results)[i] as DsockResult;
      assert.equal(result.code, 2, result.err.join('\n'));
      assert.equal(result.err.length, 1, result.err.join('\n'));
      assert.match(result.err[0] ?? '', message);
      assert.doesNotMatch(result.err[0] ?? '', /[{}]|RangeError|at .*\.js/);
      assert.deepEqual(result.out, []);
      assert.deepEqual(result.leftOpen, [], 'nothing is left open to keep it running');
    });
  }

  it('still takes numbers at the edges of their ranges', async () => {
    // The largest durations accepted start the command (which then runs until SIGTERM).
    for (const args of [
      ['sink', 'udp', '0', '--idle-timeout', '86400', '--expect', '5'],
      ['chaos', 'udp', '0', '127.0.0.1:9', '--delay', '60000', '--loss', '0'],
    ]) {
      const child = dsock([...args, '--host', '127.0.0.1']);
      try {
        await child.stderrMatch(/^# (listening|relaying)/);
      } finally {
        child.process.kill('SIGTERM');
        await child.exitCode();
        await child.close();
      }
    }
  });
});

describe('dsock --peer-timeout', () => {
  it("gives in its help the reliable protocol's own default", async () => {
    const { checkReliableOptions } = await import('../../src/reliable/options.js');
    const { RELIABLE_HELP } = await import('../../src/cli/transport.js');
    const seconds = checkReliableOptions({}).peerTimeout / 1000;
    assert.match(RELIABLE_HELP, new RegExp(`for S seconds\\s+\\(default ${seconds}\\)`));
  });
});
