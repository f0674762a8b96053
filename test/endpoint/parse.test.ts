import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatEndpoint,
  parseEndpoint,
  toEndpoint,
  InvalidEndpointError,
  type Endpoint,
} from '../../src/index.js';

function rejects(text: string, part: InvalidEndpointError['part'], mentions: RegExp): void {
  assert.throws(
    () => parseEndpoint(text),
    (error: unknown) => {
      assert.ok(
        error instanceof InvalidEndpointError,
        `expected InvalidEndpointError for "${text}"`,
      );
      assert.equal(error.code, 'ERR_INVALID_ENDPOINT');
      assert.equal(error.part, part, `part for "${text}": ${error.message}`);
      assert.match(error.message, mentions);
      return true;
    },
  );
}

describe('parseEndpoint', () => {
  it('reads host:port', () => {
    assert.deepEqual(parseEndpoint('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseEndpoint('localhost:0'), { host: 'localhost', port: 0 });
    assert.deepEqual(parseEndpoint('example.org:65535'), { host: 'example.org', port: 65535 });
  });

  it('reads a bracketed IPv6 address with a port', () => {
    assert.deepEqual(parseEndpoint('[::1]:12345'), { host: '::1', port: 12345 });
    assert.deepEqual(parseEndpoint('[fe80::1%lo]:80'), { host: 'fe80::1%lo', port: 80 });
    assert.deepEqual(parseEndpoint('[::]'), { host: '::', port: 0 });
  });

  it('reads a host alone as port 0, and :port as any address', () => {
    assert.deepEqual(parseEndpoint('10.0.0.1'), { host: '10.0.0.1', port: 0 });
    assert.deepEqual(parseEndpoint('my-host'), { host: 'my-host', port: 0 });
    assert.deepEqual(parseEndpoint(':8081'), { host: '0.0.0.0', port: 8081 });
    assert.deepEqual(parseEndpoint(''), { host: '0.0.0.0', port: 0 });
  });

  it('reads a bare IPv6 literal as an address with port 0', () => {
    assert.deepEqual(parseEndpoint('::1'), { host: '::1', port: 0 });
    assert.deepEqual(parseEndpoint('::'), { host: '::', port: 0 });
    assert.deepEqual(parseEndpoint('2001:db8::42'), { host: '2001:db8::42', port: 0 });
    assert.deepEqual(parseEndpoint('fe80::1234'), { host: 'fe80::1234', port: 0 });
    assert.deepEqual(parseEndpoint('::ffff:127.0.0.1'), { host: '::ffff:127.0.0.1', port: 0 });
    assert.deepEqual(parseEndpoint('1:2:3:4:5:6:7:8'), { host: '1:2:3:4:5:6:7:8', port: 0 });
  });

  it('refuses bad ports, naming the port', () => {
    rejects('127.0.0.1:', 'port', /missing port/);
    rejects('127.0.0.1:65536', 'port', /65536.*0 to 65535/);
    rejects('127.0.0.1:-1', 'port', /"-1"/);
    rejects('127.0.0.1:80a', 'port', /"80a"/);
    rejects('127.0.0.1:8.5', 'port', /"8\.5"/);
    rejects('[::1]:', 'port', /missing port/);
    rejects('[::1]:99999', 'port', /99999/);
  });

  it('refuses bad hosts, naming the host', () => {
    rejects('exa mple:80', 'host', /"exa mple"/);
    rejects('-bad.example:80', 'host', /"-bad\.example"/);
    rejects('a..b:80', 'host', /"a\.\.b"/);
    rejects('1.2.3.256:80', 'host', /"1\.2\.3\.256"/);
    rejects('[not-v6]:80', 'host', /IPv6/);
    rejects('host_name', 'host', /host_name/);
  });

  it('tells to bracket an IPv6 address followed by a port', () => {
    rejects('::1:12345', 'endpoint', /\[::1\]:12345/);
    rejects('fe80::1:99999', 'endpoint', /\[fe80::1\]:99999/);
  });

  it('refuses an IPv6 address followed by :digits as ambiguous, offering both readings', () => {
    // Each is a valid IPv6 address, and also a valid IPv6 address with a port.
    rejects('::1:8080', 'endpoint', /ambiguous.*\[::1\]:8080.*\[::1:8080\]/);
    rejects('2001:db8::1:80', 'endpoint', /\[2001:db8::1\]:80.*\[2001:db8::1:80\]/);
    rejects(' ::1:0 ', 'endpoint', /\[::1\]:0/);
    assert.deepEqual(parseEndpoint('[::1:8080]'), { host: '::1:8080', port: 0 });
    assert.deepEqual(parseEndpoint('[::1]:8080'), { host: '::1', port: 8080 });
  });

  it('refuses garbage', () => {
    rejects('a:b:c', 'endpoint', /"a:b:c"/);
    rejects('[::1', 'endpoint', /closing/);
    rejects('[::1]x80', 'endpoint', /after "\]"/);
    rejects('1.2.3.4:5:6', 'endpoint', /1\.2\.3\.4:5:6/);
  });
});

describe('toEndpoint', () => {
  it('fills what is missing from the defaults', () => {
    assert.deepEqual(toEndpoint(undefined), { host: '0.0.0.0', port: 0 });
    assert.deepEqual(toEndpoint(8080, { host: '127.0.0.1' }), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(toEndpoint({ port: 9 }), { host: '0.0.0.0', port: 9 });
    assert.deepEqual(toEndpoint({ host: '[::1]', port: 9 }), { host: '::1', port: 9 });
    assert.deepEqual(toEndpoint(':7', { host: '::' }), { host: '::', port: 7 });
    assert.deepEqual(toEndpoint('', { host: '::1' }), { host: '::1', port: 0 });
  });

  it('keeps a bare IPv6 address that starts with a colon instead of the default host', () => {
    assert.deepEqual(toEndpoint('::1'), { host: '::1', port: 0 });
    assert.deepEqual(toEndpoint('::', { host: '127.0.0.1' }), { host: '::', port: 0 });
    assert.deepEqual(toEndpoint(' ::ffff:127.0.0.1 '), { host: '::ffff:127.0.0.1', port: 0 });
    assert.deepEqual(toEndpoint('[::1]:5', { host: '127.0.0.1' }), { host: '::1', port: 5 });
  });

  it('refuses a host that is not text, naming the host', () => {
    for (const host of [5, null, true, {}, ['::1']]) {
      assert.throws(
        () => toEndpoint({ host, port: 1 } as never),
        (error: unknown) => {
          assert.ok(error instanceof InvalidEndpointError, String(error));
          assert.equal(error.part, 'host');
          assert.match(error.message, /invalid host/);
          return true;
        },
      );
    }
  });

  it('checks objects and numbers too', () => {
    assert.throws(() => toEndpoint(70000), InvalidEndpointError);
    assert.throws(() => toEndpoint(1.5), /invalid port 1\.5/);
    assert.throws(() => toEndpoint({ host: 'bad host', port: 1 }), /invalid host "bad host"/);
    assert.throws(() => toEndpoint({ host: '127.0.0.1', port: -3 }), /invalid port -3/);
    assert.throws(() => toEndpoint(null as never), InvalidEndpointError);
  });
});

const ipv4 = fc.ipV4();
const ipv6 = fc.ipV6();
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const hostname = fc
  .array(label, { minLength: 1, maxLength: 4 })
  .map((labels) => labels.join('.'))
  .filter((name) => !/^[0-9.]+$/.test(name));
const port = fc.integer({ min: 0, max: 65535 });
const endpoint: fc.Arbitrary<Endpoint> = fc.record({
  host: fc.oneof(ipv4, ipv6, hostname),
  port,
});

describe('formatEndpoint and parseEndpoint', () => {
  it('round-trip every endpoint', () => {
    fc.assert(
      fc.property(endpoint, (ep) => {
        assert.deepEqual(parseEndpoint(formatEndpoint(ep)), { ...ep });
      }),
      { numRuns: 2000 },
    );
  });

  it('format IPv6 with brackets, others without', () => {
    assert.equal(formatEndpoint({ host: '::1', port: 80 }), '[::1]:80');
    assert.equal(formatEndpoint({ host: '127.0.0.1', port: 80 }), '127.0.0.1:80');
    assert.equal(formatEndpoint({ host: 'localhost', port: 0 }), 'localhost:0');
  });

  it('never throw anything but InvalidEndpointError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        let ep;
        try {
          ep = parseEndpoint(text);
        } catch (error) {
          assert.ok(error instanceof InvalidEndpointError, String(error));
          return;
        }
        // Outside the catch: text that parsed must format back to text that parses the same.
        assert.ok(Number.isInteger(ep.port) && ep.port >= 0 && ep.port <= 65535);
        assert.deepEqual(parseEndpoint(formatEndpoint(ep)), { ...ep });
      }),
      { numRuns: 5000 },
    );
  });
});

describe('scoped IPv6 endpoints (link-local and multicast with an interface)', () => {
  it('reads and writes back a scope by interface name or index', () => {
    for (const [text, host, port] of [
      ['[fe80::1%eth0]:9000', 'fe80::1%eth0', 9000],
      ['[fe80::a:b:c:d%2]:1', 'fe80::a:b:c:d%2', 1],
      ['[ff02::1%eth1]:5353', 'ff02::1%eth1', 5353],
      ['fe80::1%eth0', 'fe80::1%eth0', 0],
    ] as const) {
      const endpoint = parseEndpoint(text);
      assert.deepEqual(endpoint, { host, port }, text);
      if (port !== 0) assert.equal(formatEndpoint(endpoint), text);
      assert.deepEqual(parseEndpoint(formatEndpoint(endpoint)), endpoint);
    }
    assert.deepEqual(toEndpoint({ host: '[fe80::1%eth0]', port: 7 }), {
      host: 'fe80::1%eth0',
      port: 7,
    });
  });

  it('refuses a scope without a name, and a scoped address with an unbracketed port', () => {
    rejects('[fe80::1%]:9000', 'host', /brackets hold an IPv6 address/);
    rejects('[fe80::1%eth 0]:9000', 'host', /brackets hold an IPv6 address/);
    rejects('fe80::1%eth0:9000', 'endpoint', /must be bracketed/);
  });
});
