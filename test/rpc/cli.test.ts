import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageStream, StreamServer } from '../../src/index.js';
import { within } from '../helpers/bounded.js';
import { dsock, type LineChild } from '../helpers/child.js';
import { dsockEach } from '../helpers/dsock-batch.js';

const children: LineChild[] = [];
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  await Promise.all(children.splice(0).map((child) => child.close()));
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function scratch(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dsock-rpc-cli-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function usersServer(...flags: string[]): Promise<string> {
  const server = dsock(['rpc', 'users', 'server', 0, '--host', '127.0.0.1', ...flags]);
  children.push(server);
  const port = (await server.stderrMatch(/users service.* listening on 127\.0\.0\.1:(\d+)$/))[1];
  return `127.0.0.1:${port}`;
}

/** One plain users server, shared by the tests that need no server of their own. */
let plain: Promise<string> | undefined;
const plainServer = () => (plain ??= usersServer());

/** Runs a dsock client command to its end: exit status, stdout and stderr. */
async function run(args: (string | number)[]) {
  const child = dsock(args);
  children.push(child);
  const code = await child.exitCode();
  return { code, stdout: child.stdoutLines.join('\n'), stderr: child.stderr };
}

describe('dsock rpc users', () => {
  it('adds, gets, checks, authenticates and validates through the CLI, results as JSON', async () => {
    const server = await plainServer();
    const dir = await scratch();
    const client = ['rpc', 'users', 'client', server];
    const add = await run([
      ...client,
      'add',
      '-u',
      'ada',
      '-a',
      'ada@example.org',
      '-a',
      'a@example.org',
      '-n',
      'Ada L.',
      '-r',
      'admin',
      '-p',
      'pw',
    ]);
    assert.deepEqual(add, { code: 0, stdout: 'null', stderr: '' });
    const get = await run([...client, 'get', '-u', 'a@example.org']);
    assert.equal(get.code, 0, get.stderr);
    assert.deepEqual(JSON.parse(get.stdout), {
      username: 'ada',
      emails: ['ada@example.org', 'a@example.org'],
      full_name: 'Ada L.',
      role: { name: 'ADMIN', $type: 'Role' },
      password: null,
      $type: 'User',
    });
    assert.equal((await run([...client, 'check', '-u', 'ada', '-p', 'pw'])).stdout, 'true');
    assert.equal((await run([...client, 'check', '-u', 'ada', '-p', 'no'])).stdout, 'false');
    const tokenFile = join(dir, 'ada.token');
    const auth = await run([...client, 'auth', '-u', 'ada', '-p', 'pw', '--save', tokenFile]);
    assert.equal(auth.code, 0, auth.stderr);
    const token = JSON.parse(auth.stdout) as { $type: string; expiration: { value: string } };
    assert.equal(token.$type, 'Token');
    assert.match(token.expiration.value, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    assert.equal(await readFile(tokenFile, 'utf8'), `${auth.stdout}\n`);
    assert.equal((await run([...client, 'validate', '--token', tokenFile])).stdout, 'true');
  });

  it('prints a remote error as one line on stderr, exit 1', async () => {
    const server = await plainServer();
    const missing = await run(['rpc', 'users', 'client', server, 'get', '-u', 'nobody']);
    assert.deepEqual(missing, {
      code: 1,
      stdout: '',
      stderr: 'dsock rpc users client: remote error: User with ID nobody not found',
    });
  });

  it('secure: get needs an ADMIN token; an edited token file is refused', async () => {
    const server = await usersServer('--secure');
    const dir = await scratch();
    const client = ['rpc', 'users', 'client', server];
    const adaToken = join(dir, 'ada.token');
    const bobToken = join(dir, 'bob.token');
    // One-shot client commands, one after another in one process (dsock-batch.ts): each its
    // own exit status and output, and nothing left open that would keep its process running.
    const [addAda, addBob, authAda, authBob, asAdmin, none, user] = await dsockEach([
      [...client, 'add', '-u', 'ada', '-a', 'ada@x.org', '-n', 'Ada', '-r', 'admin', '-p', 'pw'],
      [...client, 'add', '-u', 'bob', '-a', 'bob@x.org', '-n', 'Bob', '-r', 'user', '-p', 'pw'],
      [...client, 'auth', '-u', 'ada', '-p', 'pw', '--save', adaToken],
      [...client, 'auth', '-u', 'bob', '-p', 'pw', '--save', bobToken],
      [...client, 'get', '-u', 'bob', '--token', adaToken],
      [...client, 'get', '-u', 'ada'],
      [...client, 'get', '-u', 'ada', '--token', bobToken],
    ]);
    for (const done of [addAda, addBob, authAda, authBob, asAdmin])
      assert.deepEqual([done?.code, done?.err, done?.leftOpen], [0, [], []]);
    assert.deepEqual([none?.code, none?.leftOpen], [1, []]);
    assert.match(
      none?.err.join('\n') ?? '',
      /^dsock rpc users client: remote error: Authentication required/,
    );
    assert.deepEqual([user?.code, user?.leftOpen], [1, []]);
    assert.match(user?.err.join('\n') ?? '', /remote error: Unauthorized: bob is not an ADMIN$/);
    const forged = join(dir, 'forged.token');
    await writeFile(forged, (await readFile(bobToken, 'utf8')).replace('"USER"', '"ADMIN"'));
    const [refused, validated] = await dsockEach([
      [...client, 'get', '-u', 'ada', '--token', forged],
      [...client, 'validate', '--token', forged],
    ]);
    assert.equal(refused?.code, 1);
    assert.match(
      refused?.err.join('\n') ?? '',
      /remote error: Invalid token: the signature does not match$/,
    );
    assert.deepEqual(validated?.out, ['false']);
    assert.deepEqual([refused?.leftOpen, validated?.leftOpen], [[], []]);
  });

  it('refuses bad command lines with exit 2 and files it cannot use with exit 1, before connecting', async () => {
    // A listener that counts connections: none of these command lines gets as far as one.
    const listener = await StreamServer.listen('127.0.0.1:0');
    cleanups.push(() => listener.close());
    const server = `127.0.0.1:${listener.localEndpoint.port}`;
    const client = ['rpc', 'users', 'client', server];
    const cases: [(string | number)[], number, RegExp][] = [
      [[...client, 'frob'], 2, /unknown ACTION "frob"/],
      [[...client, 'add', '-u', 'x'], 2, /add needs -r admin\|user/],
      [
        [...client, 'add', '-u', 'x', '-a', 'e', '-n', 'X', '-r', 'boss', '-p', 'p'],
        2,
        /invalid -r "boss"/,
      ],
      [[...client, 'get'], 2, /get needs -u USER/],
      [[...client, 'get', '-u', 'x', '-p', 'y'], 2, /get takes no --password/],
      [
        [...client, 'validate', '--token', '/nonexistent/token'],
        1,
        /cannot read token file \/nonexistent\/token \(ENOENT\)/,
      ],
      [['rpc', 'users', 'client', '127.0.0.1', 'get', '-u', 'x'], 2, /a port is required/],
      [['rpc', 'call', server], 2, /missing METHOD/],
      [['rpc', 'call', server, 'get_user', 'ada'], 2, /argument 1 is not JSON/],
      [['rpc', 'call', server, 'x', '--prefix', '3'], 2, /invalid --prefix "3"/],
    ];
    // The command lines run one after another in one process (none of them waits on anything).
    const results = await dsockEach(cases.map(([args]) => args));
    for (const [i, [args, code, message]] of cases.entries()) {
      const result = results[i];
      const stderr = result?.err.join('\n') ?? '';
      assert.equal(result?.code, code, `${args.join(' ')}: ${stderr}`);
      assert.match(stderr, message);
      assert.equal(result?.err.length, 1, stderr);
      assert.deepEqual(result?.leftOpen, [], `${args.join(' ')} leaves nothing open`);
    }
    assert.equal(listener.stats.accepted, 0);
  });
});

describe('dsock rpc call', () => {
  it('sends each JSON argument and the metadata file byte for byte and prints the result', async () => {
    const server = await StreamServer.listen('127.0.0.1:0');
    cleanups.push(() => server.close());
    const dir = await scratch();
    const metadataText = '{\n  "signature": "ab",\n  "n": 1.50,\n  "$type": "Token"\n}\n';
    const metadataFile = join(dir, 'token.json');
    await writeFile(metadataFile, metadataText);
    const received = (async () => {
      const stream = new MessageStream(await server.accept(), { prefix: 'uint16be' });
      const frame = await stream.recv();
      await stream.send(
        '{\n  "result": {"when": {"datetime": "2024-02-03T12:15:00.175104", "$type": "datetime"}, "$type": "Odd"},\n  "error": null,\n  "$type": "Response"\n}',
      );
      await stream.close();
      return frame?.toString('utf8');
    })();
    const call = await run([
      'rpc',
      'call',
      `127.0.0.1:${server.localEndpoint.port}`,
      'lookup',
      '"ada"',
      '{"id": 1e2,  "ok": true}',
      '--metadata',
      metadataFile,
    ]);
    assert.equal(call.code, 0, call.stderr);
    assert.equal(
      await within(received, 5000, 'the request'),
      `{"name":"lookup","args":["ada",{"id": 1e2,  "ok": true}],"metadata":${metadataText},"$type":"Request"}`,
    );
    assert.deepEqual(JSON.parse(call.stdout), {
      when: { datetime: '2024-02-03T12:15:00.175104', $type: 'datetime' },
      $type: 'Odd',
    });
  });
});
