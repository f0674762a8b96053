import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, type TestContext } from 'node:test';
import { LineChild } from './child.js';

/**
 * A small network of hosts made of real kernel networking: one network namespace per host, one
 * Linux bridge per LAN (inside a "switch" namespace of its own, so that the machine's own
 * network is never touched), and a veth pair per interface, the "cable" from a host to its
 * LAN's bridge. Addresses come from 198.18.0.0/15 and fd00::/8 only; no namespace of the lab
 * has a route to anything outside it, so nothing the tests send can leave the lab.
 */

/** Which LANs exist and which host is plugged into which (interfaces eth0, eth1, ... in order). */
export interface LabSpec {
  lans: string[];
  hosts: Record<string, string[]>;
}

/**
 * The lab most tests use: two LANs, four hosts, and `gateway` on both LANs (eth0 on lan1, eth1
 * on lan2) with forwarding on; the other hosts route everything through it.
 */
export const TWO_LANS: LabSpec = {
  lans: ['lan1', 'lan2'],
  hosts: { alpha: ['lan1'], beta: ['lan1'], gateway: ['lan1', 'lan2'], delta: ['lan2'] },
};

/** One interface of a lab host. */
export interface LabInterface {
  /** The interface name inside the host: eth0, eth1, ... */
  name: string;
  lan: string;
  ipv4: string;
  /** The IPv4 prefix length (24). */
  prefix: number;
  /** The LAN's IPv4 broadcast address. */
  broadcast: string;
  ipv6: string;
  /** The interface's IPv6 link-local address, without its scope. */
  linkLocal: string;
  /** The switch-side end of the cable, in the switch namespace. */
  port: string;
}

/** One host of the lab. */
export interface LabHost {
  name: string;
  /** The network namespace that is this host. */
  netns: string;
  interfaces: LabInterface[];
  /** The IPv4 address of eth0. */
  ipv4: string;
  /** The IPv6 (fd00::/8) address of eth0. */
  ipv6: string;
}

interface Run {
  ok: boolean;
  stdout: string;
  detail: string;
}

function run(command: string, args: string[], timeout = 10_000, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout }, (error, stdout, stderr) => {
      resolve({
        ok: error === null,
        stdout,
        detail: (stderr || error?.message || '').trim(),
      });
    });
    // An ip that cannot start never reads its input: the error is in the callback.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

async function must(command: string, args: string[]): Promise<string> {
  const result = await run(command, args);
  if (!result.ok) throw new Error(`${command} ${args.join(' ')} failed: ${result.detail}`);
  return result.stdout;
}

/**
 * Runs `commands` (ip's own syntax, one a line) through one `ip -batch -` process, in `netns`
 * when given: a lab takes some forty ip commands to build, and a process each cost more
 * processor time than the lab's tests. `force` goes on past a failing line (for teardown);
 * otherwise ip stops at the first and says which line failed; `json` makes what the commands
 * show JSON.
 */
function ipBatch(
  commands: string[],
  options: { netns?: string; force?: boolean; json?: boolean } = {},
): Promise<Run> {
  const args = [
    ...(options.netns === undefined ? [] : ['-n', options.netns]),
    ...(options.force === true ? ['-force'] : []),
    ...(options.json === true ? ['-j'] : []),
    '-batch',
    '-',
  ];
  return run('ip', args, 10_000, `${commands.join('\n')}\n`);
}

async function mustBatch(commands: string[], netns?: string, json = false): Promise<string> {
  const result = await ipBatch(commands, { ...(netns === undefined ? {} : { netns }), json });
  if (!result.ok) {
    const where = netns === undefined ? '' : ` in ${netns}`;
    throw new Error(`ip -batch${where} failed: ${result.detail}\n${commands.join('\n')}`);
  }
  return result.stdout;
}

/**
 * The variables a lab host's programs are started without: NODE_EXTRA_CA_CERTS makes every
 * Node.js process read and parse that certificate file as it starts (about 40 ms of processor
 * time each), and nothing in a lab host can reach a TLS server outside the lab.
 */
const UNSET_IN_HOSTS = ['NODE_EXTRA_CA_CERTS'];

/** Namespaces of labs not yet closed, removed at exit should a test end without its finally. */
const liveNamespaces = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const name of liveNamespaces) {
      try {
        execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore', timeout: 5000 });
      } catch {
        // already gone
      }
    }
  });
}

/**
 * A running lab. Create it with {@link NetLab.create} (or {@link withLab}) and close it in a
 * finally: {@link close} kills what runs in its hosts and deletes every namespace, which takes
 * the bridges and cables with them.
 */
export class NetLab {
  readonly id: string;
  readonly #switch: string;
  readonly #hosts = new Map<string, LabHost>();
  readonly #children = new Set<LineChild>();
  readonly #kept = new Set<LineChild>();
  readonly #namespaces: string[] = [];
  #closed = false;

  private constructor(id: string) {
    this.id = id;
    this.#switch = `dl${id}-switch`;
  }

  /**
   * Builds the lab of `spec`, or returns the reason it cannot (no `ip`, not permitted, no
   * bridge support), for the test to skip with. Partial labs are removed before returning.
   */
  static async create(spec: LabSpec = TWO_LANS): Promise<NetLab | string> {
    const lab = new NetLab(randomBytes(3).toString('hex'));
    installExitHook();
    try {
      const reason = await lab.#build(spec);
      if (reason === undefined) return lab;
      await lab.close();
      return reason;
    } catch (error) {
      await lab.close();
      throw error;
    }
  }

  /**
   * The lab is built in a few batches of ip commands: the namespaces and their settings, the
   * bridges, the cables, then one batch per host for its links, addresses and routes.
   */
  async #build(spec: LabSpec): Promise<string | undefined> {
    const sw = this.#switch;
    const members = new Map<string, number>(spec.lans.map((lan) => [lan, 0]));
    const gateways = new Map<string, string>();
    const plans: { host: LabHost; script: string[] }[] = [];
    const cables: string[] = [];
    for (const [hostName, lans] of Object.entries(spec.hosts)) {
      const netns = `dl${this.id}-${hostName}`;
      const interfaces: LabInterface[] = [];
      const script = ['link set lo up'];
      for (const [i, lan] of lans.entries()) {
        const lanIndex = spec.lans.indexOf(lan);
        if (lanIndex < 0) throw new Error(`host ${hostName} is on unknown LAN ${lan}`);
        const member = (members.get(lan) ?? 0) + 1;
        members.set(lan, member);
        const face = labInterface(hostName, i, lan, lanIndex, member);
        interfaces.push(face);
        cables.push(...cable(face, netns, lanIndex));
        script.push(...addressing(face));
        if (lans.length > 1 && !gateways.has(lan)) gateways.set(lan, `${face.ipv4} ${face.ipv6}`);
      }
      const first = interfaces[0];
      if (first === undefined) throw new Error(`host ${hostName} has no LAN`);
      // Multicast without a chosen interface leaves by eth0, also on hosts without a default
      // route (the gateway).
      script.push(`route add 224.0.0.0/4 dev ${first.name}`);
      const host: LabHost = {
        name: hostName,
        netns,
        interfaces,
        ipv4: first.ipv4,
        ipv6: first.ipv6,
      };
      this.#hosts.set(hostName, host);
      plans.push({ host, script });
    }

    // The namespaces, and their settings before any interface is made in them: a new
    // interface takes the namespace's defaults.
    const namespaces = [sw, ...plans.map(({ host }) => host.netns)];
    for (const name of namespaces) liveNamespaces.add(name);
    this.#namespaces.push(...namespaces);
    const made = await ipBatch([
      ...namespaces.map((name) => `netns add ${name}`),
      // The switch speaks no IPv6 itself (no router solicitations from its ports).
      `netns exec ${sw} sysctl -qw net.ipv6.conf.all.disable_ipv6=1`,
      ...plans.map(({ host }) =>
        [
          `netns exec ${host.netns} sysctl -qw`,
          // Addresses are usable at once: no duplicate address detection on this host's links.
          'net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0',
          ...(host.interfaces.length > 1
            ? ['net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1']
            : []),
        ].join(' '),
      ),
    ]);
    if (!made.ok) return `cannot create a network namespace (ip netns add): ${made.detail}`;

    // Multicast snooping off: the bridge floods groups to every port, as a plain switch does,
    // without waiting for membership reports.
    const bridges = await ipBatch(
      spec.lans.flatMap((_, index) => [
        `link add br${index} type bridge mcast_snooping 0`,
        `link set br${index} up`,
      ]),
      { netns: sw },
    );
    if (!bridges.ok) return `cannot create a Linux bridge for the lab's LANs: ${bridges.detail}`;
    await mustBatch(cables, sw);

    await Promise.all(
      plans.map(async ({ host, script }) => {
        // A default route as on a real LAN: through the host on both LANs, if this LAN has one.
        const first = host.interfaces[0] as LabInterface;
        const gateway = host.interfaces.length === 1 ? gateways.get(first.lan) : undefined;
        if (gateway !== undefined) {
          const [v4, v6] = gateway.split(' ');
          script.push(`route add default via ${v4}`, `route add ::/0 via ${v6}`);
        }
        // The batch ends by showing the addresses: the links are often up already, and then
        // no further look is needed.
        await this.#settle(host, await mustBatch([...script, 'addr show'], host.netns, true));
      }),
    );
    return undefined;
  }

  /**
   * Waits until every interface of `host` is operationally up with its link-local address: the
   * kernel brings a new link up, and makes its IPv6 link-local address, a moment after it is
   * set up (up to a second later, batched), and drops what is sent before. The kernel offers no
   * event for it short of a netlink monitor, so this looks, at most 10 s.
   */
  async #settle(host: LabHost, firstLook?: string): Promise<void> {
    const deadline = performance.now() + 10_000;
    let shown = firstLook;
    for (;;) {
      shown ??= await must('ip', ['-n', host.netns, '-j', 'addr', 'show']);
      const links = JSON.parse(shown) as {
        ifname: string;
        operstate: string;
        addr_info: { family: string; scope: string; local: string; tentative?: boolean }[];
      }[];
      let ready = true;
      for (const face of host.interfaces) {
        const link = links.find((l) => l.ifname === face.name);
        const local = link?.addr_info.find(
          (a) => a.family === 'inet6' && a.scope === 'link' && a.tentative !== true,
        );
        if (link?.operstate !== 'UP' || local === undefined) ready = false;
        else face.linkLocal = local.local;
      }
      if (ready) return;
      if (performance.now() > deadline) {
        throw new Error(`the links of ${host.name} did not come up within 10 s`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
      shown = undefined;
    }
  }

  /** The hosts of the lab, by name. */
  host(name: string): LabHost {
    const host = this.#hosts.get(name);
    if (host === undefined) throw new Error(`no host ${name} in the lab`);
    return host;
  }

  get hosts(): LabHost[] {
    return [...this.#hosts.values()];
  }

  /**
   * Starts `command` on `host` (ip netns exec); the lab kills it on {@link close} if the test
   * did not. Environment variables in `env` are set for it (e.g. DSOCK_NATIVE).
   */
  spawn(
    host: string,
    command: string,
    args: (string | number)[],
    env: Record<string, string> = {},
  ): LineChild {
    const assignments = Object.entries(env).map(([key, value]) => `${key}=${value}`);
    const unset = UNSET_IN_HOSTS.filter((key) => process.env[key] !== undefined);
    const prefix =
      assignments.length + unset.length > 0
        ? ['env', ...unset.flatMap((key) => ['-u', key]), ...assignments]
        : [];
    const child = new LineChild('ip', [
      ...['netns', 'exec', this.host(host).netns],
      ...prefix,
      command,
      ...args.map(String),
    ]);
    this.#children.add(child);
    void child.exited.then(() => this.#children.delete(child));
    return child;
  }

  /** Runs `dsock ARGS` (the built bin/dsock.js) on `host`. */
  dsock(host: string, args: (string | number)[], env: Record<string, string> = {}): LineChild {
    return this.spawn(host, process.execPath, ['bin/dsock.js', ...args], env);
  }

  /**
   * Starts one of the Python peers of test/interop on `host`. They use the standard library
   * only: python3 -S skips the site packages, whose start-up hooks can cost more processor time
   * than the peer (50 ms each where one loads certifi).
   */
  python(
    host: string,
    script: string,
    args: (string | number)[],
    env: Record<string, string> = {},
  ): LineChild {
    return this.spawn(host, 'python3', ['-S', `test/interop/${script}`, ...args], env);
  }

  /** Runs a command on `host` to its end and returns its stdout; throws if it fails. */
  exec(host: string, command: string, args: string[]): Promise<string> {
    return must('ip', ['netns', 'exec', this.host(host).netns, command, ...args]);
  }

  /**
   * Pulls (up: false) or plugs back (up: true) the cable of `host`'s interface: its switch-side
   * end goes down, so the host sees its link lose carrier and keeps its addresses and routes,
   * as with an unplugged cable.
   */
  async setCable(host: string, iface: string, up: boolean): Promise<void> {
    const face = this.host(host).interfaces.find((f) => f.name === iface);
    if (face === undefined) throw new Error(`${host} has no interface ${iface}`);
    await must('ip', ['-n', this.#switch, 'link', 'set', face.port, up ? 'up' : 'down']);
  }

  /** Takes `host`'s interface itself down or up (ip link set IFACE down/up inside the host). */
  async setLink(host: string, iface: string, up: boolean): Promise<void> {
    await must('ip', ['-n', this.host(host).netns, 'link', 'set', iface, up ? 'up' : 'down']);
  }

  /**
   * Adds an interface to `host`: a new cable to `lan` (an interface that comes while programs
   * run). Returns it.
   */
  async plugNew(
    host: string,
    lan: string,
    lanIndex: number,
    member: number,
  ): Promise<LabInterface> {
    const target = this.host(host);
    const face = labInterface(host, target.interfaces.length, lan, lanIndex, member);
    await mustBatch(cable(face, target.netns, lanIndex), this.#switch);
    await mustBatch(addressing(face), target.netns);
    target.interfaces.push(face);
    return face;
  }

  /** Removes an interface of `host` (the cable and both its ends). */
  async unplug(host: string, iface: string): Promise<void> {
    const target = this.host(host);
    await must('ip', ['-n', target.netns, 'link', 'delete', iface]);
    target.interfaces = target.interfaces.filter((f) => f.name !== iface);
  }

  /**
   * Keeps `child` (started with {@link spawn}) running until the lab closes: a program that
   * serves every test of a file on a shared lab, which {@link closeChildren} passes over.
   */
  keepUntilClose(child: LineChild): LineChild {
    this.#kept.add(child);
    return child;
  }

  /**
   * Kills every program the lab started that still runs (between tests of a shared lab), but
   * those kept until the lab closes.
   */
  async closeChildren(): Promise<void> {
    const running = [...this.#children].filter((child) => !this.#kept.has(child));
    await Promise.all(running.map((child) => child.close()));
  }

  /**
   * Kills everything still running in the lab's hosts and deletes its namespaces (bridges and
   * cables go with them). Idempotent; never throws.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#children].map((child) => child.close()));
    if (this.#namespaces.length === 0) return;
    // Processes this lab's tests started inside its hosts (children of children) would keep a
    // namespace alive after its name is deleted.
    const pids = await ipBatch(
      this.#namespaces.map((netns) => `netns pids ${netns}`),
      { force: true },
    );
    for (const pid of pids.stdout.split(/\s+/).filter((p) => /^\d+$/.test(p))) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    const namespaces = [...this.#namespaces].reverse();
    await ipBatch(
      namespaces.map((netns) => `netns delete ${netns}`),
      { force: true },
    );
    for (const netns of namespaces) liveNamespaces.delete(netns);
  }
}

/** Interface `index` of `host` on `lan`, the `member`-th host plugged into that LAN. */
function labInterface(
  host: string,
  index: number,
  lan: string,
  lanIndex: number,
  member: number,
): LabInterface {
  return {
    name: `eth${index}`,
    lan,
    ipv4: `198.18.${lanIndex}.${member}`,
    prefix: 24,
    broadcast: `198.18.${lanIndex}.255`,
    ipv6: `fd00:0:0:${lanIndex + 1}::${member}`,
    linkLocal: '',
    port: `p-${host}`.slice(0, 12) + `-${index}`,
  };
}

/** The switch's commands (ip -batch) that lay the cable of `face` from its LAN's bridge. */
function cable(face: LabInterface, netns: string, lanIndex: number): string[] {
  return [
    `link add ${face.port} type veth peer name ${face.name} netns ${netns}`,
    `link set ${face.port} master br${lanIndex} up`,
  ];
}

/** The host's commands (ip -batch) that bring `face` up with its addresses. */
function addressing(face: LabInterface): string[] {
  return [
    `link set ${face.name} up`,
    `addr add ${face.ipv4}/24 brd + dev ${face.name}`,
    `addr add ${face.ipv6}/64 dev ${face.name} nodad`,
  ];
}

/**
 * Runs `body` with a fresh lab of `spec`, closing it afterwards whatever happens; skips the test
 * with the printed reason where a lab cannot be built.
 */
export async function withLab(
  t: TestContext,
  spec: LabSpec,
  body: (lab: NetLab) => Promise<void>,
): Promise<void> {
  const lab = await NetLab.create(spec);
  if (typeof lab === 'string') {
    t.skip(lab);
    return;
  }
  try {
    await body(lab);
  } finally {
    await lab.close();
  }
}

/**
 * One lab of `spec` for a whole test file, for tests that need no fresh lab (each in ports or
 * rooms of its own, and leaving the lab as it found it): builds it before the file's first test
 * and removes it after the last. Returns the way a test runs on it: `body` gets the lab, and
 * whatever the test started in it is killed when the body ends; the test skips with the printed
 * reason where no lab can be built.
 */
export function labForFile(
  spec: LabSpec,
): (t: TestContext, body: (lab: NetLab) => Promise<void>) => Promise<void> {
  let lab: NetLab | string = 'the lab was not built';
  before(async () => {
    lab = await NetLab.create(spec);
  });
  after(async () => {
    if (typeof lab !== 'string') await lab.close();
  });
  return async (t, body) => {
    if (typeof lab === 'string') return t.skip(lab);
    try {
      await body(lab);
    } finally {
      await lab.closeChildren();
    }
  };
}
