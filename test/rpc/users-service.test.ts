import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Credentials,
  DateTime,
  RemoteError,
  Role,
  RpcClient,
  TimeDelta,
  Token,
  User,
  serveUsers,
  usersRegistry,
  type RpcServer,
  type UsersServerOptions,
  type UsersService,
} from '../../src/index.js';
import { hashPassword, verifyPassword } from '../../src/apps/users/passwords.js';
import { within } from '../helpers/bounded.js';

const servers: RpcServer[] = [];
after(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const ada = new User(
  'ada',
  ['ada@example.org', 'countess@example.org'],
  'Ada Lovelace',
  Role.ADMIN,
  'engine',
);
const bob = new User('bob', ['bob@example.org'], 'Bob', Role.USER, 'builder');

async function start(options: UsersServerOptions = {}) {
  const server = await serveUsers('127.0.0.1:0', options);
  servers.push(server);
  const client = new RpcClient(server.localEndpoint, {
    registry: usersRegistry(),
    timeout: 10_000,
  });
  const users = client.stub<UsersService>();
  await users.add_user(ada);
  await users.add_user(bob);
  return { server, client, users };
}

/** `token` with its user or expiration replaced, the signature kept: what a forger sends. */
function edited(token: Token, change: { role?: Role; expiration?: DateTime }): Token {
  const user = token.user;
  return new Token(
    token.signature,
    new User(user.username, user.emails, user.fullName, change.role ?? user.role, null),
    change.expiration ?? token.expiration,
  );
}

describe('the users service', () => {
  it('adds users and gives them out by username or email, without the password', async () => {
    const { users } = await start();
    const got = await users.get_user('countess@example.org');
    assert.ok(got instanceof User);
    assert.deepEqual({ ...got }, { ...ada, password: null });
    assert.equal((await users.get_user('bob')).role, Role.USER);
  });

  it('answers with the course error texts for a taken ID and an unknown one', async () => {
    const { users } = await start();
    await assert.rejects(users.add_user(ada), {
      name: 'RemoteError',
      message: 'User with ID ada already exists',
    });
    const sameEmail = new User('ada2', ['bob@example.org'], 'Other', Role.USER, 'pw');
    await assert.rejects(users.add_user(sameEmail), {
      message: 'User with ID bob@example.org already exists',
    });
    await assert.rejects(users.get_user('carol'), { message: 'User with ID carol not found' });
    await assert.rejects(
      (users as unknown as { get_user(id: number): Promise<User> }).get_user(7),
      { message: 'get_user expects an ID (a username or an email), got a number' },
    );
  });

  it('checks passwords by username and by email', async () => {
    const { users } = await start();
    assert.equal(await users.check_password(new Credentials('ada', 'engine')), true);
    assert.equal(await users.check_password(new Credentials('ada@example.org', 'engine')), true);
    assert.equal(await users.check_password(new Credentials('ada', 'Engine')), false);
    assert.equal(await users.check_password(new Credentials('nobody', 'engine')), false);
  });

  it('authenticates with a token valid for one day by default, or for the duration asked', async () => {
    const { users } = await start();
    const before = Date.now();
    const token = await users.authenticate(new Credentials('bob', 'builder'));
    assert.ok(token instanceof Token);
    assert.equal(token.user.username, 'bob');
    assert.equal(token.user.password, null);
    assert.match(token.expiration.text, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
    const day = token.expiration.epochMilliseconds - before;
    assert.ok(day >= 86_400_000 && day < 86_400_000 + 60_000, `lifetime ${day} ms`);
    const hour = await users.authenticate(new Credentials('bob', 'builder'), new TimeDelta(3600));
    const lifetime = hour.expiration.epochMilliseconds - before;
    assert.ok(lifetime >= 3_600_000 && lifetime < 3_660_000, `lifetime ${lifetime} ms`);
    await assert.rejects(users.authenticate(new Credentials('bob', 'wrong')), {
      message: 'Invalid credentials',
    });
  });

  it('validates its own tokens and refuses edited ones and expired ones', async () => {
    const { users } = await start();
    const token = await users.authenticate(new Credentials('bob', 'builder'));
    assert.equal(await users.validate_token(token), true);
    assert.equal(await users.validate_token(edited(token, { role: Role.ADMIN })), false);
    const later = DateTime.fromDate(new Date(token.expiration.epochMilliseconds + 86_400_000));
    assert.equal(await users.validate_token(edited(token, { expiration: later })), false);
    // The same instant written differently is another text: the signature covers the text.
    const text = token.expiration.text;
    const sameInstant = new DateTime(text.includes('.') ? text.slice(0, 23) : `${text}.000`);
    assert.equal(await users.validate_token(edited(token, { expiration: sameInstant })), false);
    const short = await users.authenticate(new Credentials('bob', 'builder'), new TimeDelta(0.05));
    await within(
      new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, short.expiration.epochMilliseconds - Date.now() + 5)),
      ),
      5000,
      'the short token to expire',
    );
    assert.equal(await users.validate_token(short), false);
  });

  it('refuses a token signed by another server (another secret)', async () => {
    const one = await start({ secret: Buffer.alloc(32, 1) });
    const other = await start({ secret: Buffer.alloc(32, 2) });
    const token = await one.users.authenticate(new Credentials('bob', 'builder'));
    assert.equal(await one.users.validate_token(token), true);
    assert.equal(await other.users.validate_token(token), false);
  });

  it('holds at most maxUsers users', async () => {
    const { users } = await start({ maxUsers: 2 });
    await assert.rejects(users.add_user(new User('carol', [], 'Carol', Role.USER, 'pw')), {
      message: 'the user database is full (2 users)',
    });
  });
});

describe('the secure users service', () => {
  it('gives get_user only to a valid, unexpired ADMIN token in the metadata', async () => {
    const { client, users } = await start({ secure: true });
    const admin = await users.authenticate(new Credentials('ada', 'engine'));
    const user = await users.authenticate(new Credentials('bob', 'builder'));
    const got = (await client.call('get_user', ['bob'], { metadata: admin })) as User;
    assert.equal(got.username, 'bob');

    const refusals: [unknown, string | RegExp][] = [
      [null, 'Authentication required: get_user needs a token in the metadata'],
      ['ada', 'Authentication required: the metadata must be a Token, got a string'],
      [user, 'Unauthorized: bob is not an ADMIN'],
      [edited(user, { role: Role.ADMIN }), 'Invalid token: the signature does not match'],
      [
        edited(admin, { expiration: DateTime.fromDate(new Date(Date.now() + 1e10)) }),
        'Invalid token: the signature does not match',
      ],
    ];
    for (const [metadata, text] of refusals) {
      await assert.rejects(client.call('get_user', ['bob'], { metadata }), (error: unknown) => {
        assert.ok(error instanceof RemoteError);
        assert.equal(error.message, text);
        return true;
      });
    }
    const short = await users.authenticate(new Credentials('ada', 'engine'), new TimeDelta(0.05));
    await within(
      new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, short.expiration.epochMilliseconds - Date.now() + 5)),
      ),
      5000,
      'the short token to expire',
    );
    await assert.rejects(client.call('get_user', ['bob'], { metadata: short }), {
      message: `Token expired at ${short.expiration.text}`,
    });
  });
});

describe('stored passwords', () => {
  it('are salted scrypt hashes: the same password hashes differently, and only it verifies', async () => {
    const one = await hashPassword('engine');
    const two = await hashPassword('engine');
    assert.match(one, /^scrypt\$16384\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    assert.notEqual(one, two);
    assert.ok(!one.includes('engine'));
    assert.equal(await verifyPassword('engine', one), true);
    assert.equal(await verifyPassword('Engine', one), false);
    assert.equal(await verifyPassword('engine', undefined), false);
  });
});
