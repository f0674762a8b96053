import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Credentials,
  DateTime,
  ProtocolError,
  RemoteError,
  Role,
  RpcClient,
  TimeDelta,
  Token,
  User,
  serveUsers,
  usersRegistry,
  type RpcServer,
  type UsersService,
} from '../../src/index.js';
import { python, readyPort, type LineChild } from '../helpers/child.js';
import { dsockEach } from '../helpers/dsock-batch.js';

const children: LineChild[] = [];
const servers: RpcServer[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(children.splice(0).map((child) => child.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A course-style Python users server; resolves with its HOST:PORT. */
async function pythonServer(...flags: string[]): Promise<string> {
  const peer = python('rpc_peer.py', ['serve', '127.0.0.1', ...flags]);
  children.push(peer);
  return `127.0.0.1:${await readyPort(peer)}`;
}

function usersClient(server: string, options: { multiplex?: boolean } = {}) {
  const client = new RpcClient(server, { registry: usersRegistry(), timeout: 10_000, ...options });
  return { client, users: client.stub<UsersService>() };
}

const ada = new User('ada', ['ada@example.org'], 'Ada L.', Role.ADMIN, 'engine');
const bob = new User('bob', ['bob@example.org'], 'Bob', Role.USER, 'builder');

/** Runs the Python client scenario `mode` against `port`; its steps by name. */
async function pythonClient(mode: 'client' | 'secure', port: number) {
  const peer = python('rpc_peer.py', [mode, '127.0.0.1', port]);
  children.push(peer);
  assert.equal(await peer.exitCode(30_000), 0, peer.stderr);
  const steps = new Map<string, { result: unknown; error: string | null; type: string }>();
  for (const line of peer.stdoutLines) {
    const step = JSON.parse(line) as {
      step: string;
      result: unknown;
      error: string | null;
      type: string;
    };
    steps.set(step.step, step);
  }
  return steps;
}

describe("interop: dsock's RPC client calls a course-style Python server", () => {
  it('adds, gets, checks, authenticates and validates a token sent back as it came', async () => {
    const { client, users } = usersClient(await pythonServer());
    try {
      assert.equal(await users.add_user(ada), null);
      await assert.rejects(users.add_user(ada), (error: unknown) => {
        assert.ok(error instanceof RemoteError);
        assert.equal(error.message, 'User with ID ada already exists');
        return true;
      });
      const got = await users.get_user('ada@example.org');
      assert.deepEqual({ ...got }, { ...ada, password: null });
      await assert.rejects(users.get_user('nobody'), { message: 'User with ID nobody not found' });
      assert.equal(await users.check_password(new Credentials('ada', 'engine')), true);
      assert.equal(await users.check_password(new Credentials('ada', 'nope')), false);
      const token = await users.authenticate(new Credentials('ada', 'engine'), new TimeDelta(3600));
      assert.ok(token instanceof Token);
      // Python writes {"datetime": iso}: kept, and sent back in that form, microseconds and all.
      assert.equal(Object.keys(token.expiration.receivedFields ?? {})[0], 'datetime');
      assert.equal(await users.validate_token(token), true);
      const lifetime = token.expiration.epochMilliseconds - Date.now();
      assert.ok(lifetime > 3_500_000 && lifetime <= 3_600_000, `lifetime ${lifetime} ms`);
    } finally {
      await client.close();
    }
  });

  it('secure variant: an ADMIN token passes; missing token, USER token, forged role, edited expiry and wrong password are refused', async () => {
    const { client, users } = usersClient(await pythonServer('--secure'));
    try {
      await users.add_user(ada);
      await users.add_user(bob);
      const admin = await users.authenticate(new Credentials('ada', 'engine'));
      const user = await users.authenticate(new Credentials('bob', 'builder'));
      const got = (await client.call('get_user', ['bob'], { metadata: admin })) as User;
      assert.equal(got.username, 'bob');
      const forgedRole = new Token(
        user.signature,
        new User('bob', user.user.emails, user.user.fullName, Role.ADMIN, null),
        user.expiration,
      );
      const later = new Date(admin.expiration.epochMilliseconds + 30 * 86_400_000);
      const editedExpiry = new Token(admin.signature, admin.user, DateTime.fromDate(later));
      const refusals: [unknown, string][] = [
        [null, 'Authentication required'],
        [user, 'Unauthorized'],
        [forgedRole, 'Invalid token'],
        [editedExpiry, 'Invalid token'],
      ];
      for (const [metadata, text] of refusals) {
        await assert.rejects(client.call('get_user', ['bob'], { metadata }), {
          name: 'RemoteError',
          message: text,
        });
      }
      await assert.rejects(users.authenticate(new Credentials('ada', 'nope')), {
        message: 'Invalid credentials',
      });
    } finally {
      await client.close();
    }
  });

  it('with multiplex, says the server answers one call per connection', async () => {
    const { client, users } = usersClient(await pythonServer(), { multiplex: true });
    try {
      await assert.rejects(users.get_user('ada'), (error: unknown) => {
        assert.ok(error instanceof ProtocolError);
        assert.match(
          error.message,
          /answered without the request's id: it serves one call per connection/,
        );
        return true;
      });
    } finally {
      await client.close();
    }
  });

  it('through the CLI: the token file saved from the Python server is sent back byte for byte', async () => {
    const server = await pythonServer('--secure');
    const dir = await mkdtemp(join(tmpdir(), 'dsock-rpc-interop-'));
    dirs.push(dir);
    const client = ['rpc', 'users', 'client', server];
    const tokenFile = join(dir, 'ada.token');
    // One-shot client commands, one after another in one process (dsock-batch.ts): each its
    // own exit status and output, and nothing left open that would keep its process running.
    const [add, auth, validate, get] = await dsockEach([
      [...client, 'add', '-u', 'ada', '-a', 'ada@x.org', '-n', 'Ada', '-r', 'admin', '-p', 'pw'],
      [...client, 'auth', '-u', 'ada', '-p', 'pw', '--save', tokenFile],
      [...client, 'validate', '--token', tokenFile],
      [...client, 'get', '-u', 'ada', '--token', tokenFile],
    ]);
    assert.equal(add?.code, 0, add?.err.join('\n'));
    assert.equal(auth?.code, 0, auth?.err.join('\n'));
    assert.match(await readFile(tokenFile, 'utf8'), /"datetime": "\d{4}-\d\d-\d\dT[\d:.]+"/);
    assert.deepEqual(validate, { code: 0, out: ['true'], err: [], leftOpen: [] });
    assert.equal(get?.code, 0, get?.err.join('\n'));
    assert.equal((JSON.parse(get?.out.join('\n') ?? '') as { username: string }).username, 'ada');
    const forged = join(dir, 'forged.token');
    const text = await readFile(tokenFile, 'utf8');
    await writeFile(forged, text.replace(/"full_name": "Ada"/, '"full_name": "Eve"'));
    const [refused, call] = await dsockEach([
      [...client, 'get', '-u', 'ada', '--token', forged],
      [
        'rpc',
        'call',
        server,
        'check_password',
        '{"id": "ada", "password": "pw", "$type": "Credentials"}',
      ],
    ]);
    assert.deepEqual(refused, {
      code: 1,
      out: [],
      err: ['dsock rpc users client: remote error: Invalid token'],
      leftOpen: [],
    });
    assert.deepEqual(call, { code: 0, out: ['true'], err: [], leftOpen: [] });
    for (const result of [add, auth, get]) assert.deepEqual(result?.leftOpen, []);
  });
});

describe("interop: a course-style Python client calls dsock's RPC server", () => {
  it('gets the users service, one connection per call', async () => {
    const server = await serveUsers('127.0.0.1:0');
    servers.push(server);
    const steps = await pythonClient('client', server.localEndpoint.port);
    assert.deepEqual(steps.get('add ada'), {
      step: 'add ada',
      result: null,
      error: null,
      type: 'Response',
    });
    assert.equal(steps.get('add ada again')?.error, 'User with ID ada already exists');
    assert.deepEqual(steps.get('get ada')?.result, {
      username: 'ada',
      emails: ['ada@example.org'],
      full_name: 'Ada L.',
      role: { name: 'ADMIN', $type: 'Role' },
      password: null,
      $type: 'User',
    });
    assert.equal(steps.get('get nobody')?.error, 'User with ID nobody not found');
    assert.equal(steps.get('check good')?.result, true);
    assert.equal(steps.get('check bad')?.result, false);
    assert.equal((steps.get('authenticate')?.result as { $type: string }).$type, 'Token');
    // The Python client decoded the token and wrote it again with its own datetime form.
    assert.equal(steps.get('validate')?.result, true);
    assert.equal(steps.get('wrong password')?.error, 'Invalid credentials');
    assert.equal(server.streamStats.accepted, 9);
  });

  it('secure variant: refuses a missing token, a USER token, a forged role, an edited expiry, a wrong password', async () => {
    const server = await serveUsers('127.0.0.1:0', { secure: true });
    servers.push(server);
    const steps = await pythonClient('secure', server.localEndpoint.port);
    assert.equal((steps.get('admin token')?.result as { username: string }).username, 'bob');
    assert.equal(
      steps.get('missing token')?.error,
      'Authentication required: get_user needs a token in the metadata',
    );
    assert.equal(steps.get('user token')?.error, 'Unauthorized: bob is not an ADMIN');
    assert.equal(steps.get('forged role')?.error, 'Invalid token: the signature does not match');
    assert.equal(steps.get('edited expiry')?.error, 'Invalid token: the signature does not match');
    assert.equal(steps.get('wrong password')?.error, 'Invalid credentials');
    for (const name of ['missing token', 'user token', 'forged role', 'edited expiry']) {
      assert.equal(steps.get(name)?.result, null, name);
    }
  });
});
