/** Endpoints as traces write them (`host:port`, IPv6 bracketed), and which of them are the same. */

/** The port of an endpoint, '?' for none. */
export function portOf(endpoint: string | undefined): string {
  if (endpoint === undefined) return '?';
  return endpoint.slice(endpoint.lastIndexOf(':') + 1);
}

function hostOf(endpoint: string): string {
  let host = endpoint.slice(0, endpoint.lastIndexOf(':'));
  if (host.startsWith('[')) host = host.slice(1, -1);
  if (host.startsWith('::ffff:')) host = host.slice(7);
  return host.toLowerCase();
}

const ANY_HOSTS = new Set(['0.0.0.0', '::', 'localhost']);

/** The same endpoint, as far as one side can tell: the port, and the host unless one is a wildcard. */
export function sameEnd(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return true;
  if (portOf(a) !== portOf(b)) return false;
  const [x, y] = [hostOf(a), hostOf(b)];
  return x === y || ANY_HOSTS.has(x) || ANY_HOSTS.has(y);
}

/** The most endpoints an {@link EndMatcher} remembers answers for; past it, it works them out. */
const END_MATCHER_MAX = 4096;

/**
 * portOf and sameEnd with a memory: a trace names a handful of endpoints a hundred thousand
 * times, each time in a string of its own, and working out ports and hosts cuts strings.
 */
export class EndMatcher {
  readonly #ports = new Map<string, string>();
  readonly #same = new Map<string, Map<string, boolean>>();

  portOf(endpoint: string | undefined): string {
    if (endpoint === undefined) return '?';
    let port = this.#ports.get(endpoint);
    if (port === undefined) {
      port = portOf(endpoint);
      if (this.#ports.size < END_MATCHER_MAX) this.#ports.set(endpoint, port);
    }
    return port;
  }

  same(a: string | undefined, b: string | undefined): boolean {
    if (a === undefined || b === undefined) return true;
    let answers = this.#same.get(a);
    if (answers === undefined) {
      if (this.#same.size >= END_MATCHER_MAX) return sameEnd(a, b);
      this.#same.set(a, (answers = new Map<string, boolean>()));
    }
    let same = answers.get(b);
    if (same === undefined) {
      same = sameEnd(a, b);
      if (answers.size < END_MATCHER_MAX) answers.set(b, same);
    }
    return same;
  }
}

/** Which owner (a process) holds an endpoint. */
export class EndpointOwners<Owner> {
  readonly #byPort = new Map<string, { endpoint: string; proc: Owner }[]>();

  add(endpoint: string, proc: Owner): void {
    const port = portOf(endpoint);
    let list = this.#byPort.get(port);
    if (list === undefined) this.#byPort.set(port, (list = []));
    list.push({ endpoint, proc });
  }

  find(endpoint: string): Owner | undefined {
    return this.#byPort.get(portOf(endpoint))?.find((o) => sameEnd(o.endpoint, endpoint))?.proc;
  }
}
