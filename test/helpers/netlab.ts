import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
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

function run(command: string, args: string[], timeout = 10_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout }, (error, stdout, stderr) => {
      resolve({
        ok: error === null,
        stdout,
        detail: (stderr || error?.message || '').trim(),
      });
    });
  });
}

async function must(command: string, args: string[]): Promise<string> {
  const result = await run(command, args);
  if (!result.ok) throw new Error(`${command} ${args.join(' ')} failed: ${result.detail}`);
  return result.stdout;
}

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
    const probe = await run('ip', ['netns', 'list']);
    if (!probe.ok) return `network namespaces are not available (ip netns list): ${probe.detail}`;
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

  async #addNetns(name: string): Promise<string | undefined> {
    const created = await run('ip', ['netns', 'add', name]);
    if (!created.ok) return `cannot create a network namespace (ip netns add): ${created.detail}`;
    this.#namespaces.push(name);
    liveNamespaces.add(name);
    return undefined;
  }

  async #build(spec: LabSpec): Promise<string | undefined> {
    const denied = await this.#addNetns(this.#switch);
    if (denied !== undefined) return denied;
    const sw = this.#switch;
    // The switch speaks no IPv6 itself (no router solicitations from its ports).
    await must('ip', ['netns', 'exec', sw, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    for (const [index, lan] of spec.lans.entries()) {
      // Multicast snooping off: the bridge floods groups to every port, as a plain switch
      // does, without waiting for membership reports.
      const bridge = await run('ip', [
        ...['-n', sw, 'link', 'add', `br${index}`, 'type', 'bridge'],
        ...['mcast_snooping', '0'],
      ]);
      if (!bridge.ok) return `cannot create a Linux bridge for ${lan}: ${bridge.detail}`;
      await must('ip', ['-n', sw, 'link', 'set', `br${index}`, 'up']);
    }
    const members = new Map<string, number>(spec.lans.map((lan) => [lan, 0]));
    const gateways = new Map<string, string>();
    const plans: { host: LabHost; script: string[] }[] = [];
    for (const [hostName, lans] of Object.entries(spec.hosts)) {
      const netns = `dl${this.id}-${hostName}`;
      const denied = await this.#addNetns(netns);
      if (denied !== undefined) return denied;
      // Addresses are usable at once: no duplicate address detection on this host's links.
      await must('ip', [
        ...['netns', 'exec', netns, 'sysctl', '-qw'],
        'net.ipv6.conf.all.accept_dad=0',
        'net.ipv6.conf.default.accept_dad=0',
        ...(lans.length > 1 ? ['net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'] : []),
      ]);
      const interfaces: LabInterface[] = [];
      const script = ['ip link set lo up'];
      for (const [i, lan] of lans.entries()) {
        const lanIndex = spec.lans.indexOf(lan);
        if (lanIndex < 0) throw new Error(`host ${hostName} is on unknown LAN ${lan}`);
        const member = (members.get(lan) ?? 0) + 1;
        members.set(lan, member);
        const name = `eth${i}`;
        const port = `p-${hostName}`.slice(0, 12) + `-${i}`;
        await must('ip', [
          ...['-n', sw, 'link', 'add', port, 'type', 'veth'],
          ...['peer', 'name', name, 'netns', netns],
        ]);
        await must('ip', ['-n', sw, 'link', 'set', port, 'master', `br${lanIndex}`, 'up']);
        const face: LabInterface = {
          name,
          lan,
          ipv4: `198.18.${lanIndex}.${member}`,
          prefix: 24,
          broadcast: `198.18.${lanIndex}.255`,
          ipv6: `fd00:0:0:${lanIndex + 1}::${member}`,
          linkLocal: '',
          port,
        };
        interfaces.push(face);
        script.push(
          `sysctl -qw net.ipv6.conf.${name}.accept_dad=0`,
          `ip link set ${name} up`,
          `ip addr add ${face.ipv4}/24 brd + dev ${name}`,
          `ip -6 addr add ${face.ipv6}/64 dev ${name} nodad`,
        );
        if (lans.length > 1 && !gateways.has(lan)) gateways.set(lan, `${face.ipv4} ${face.ipv6}`);
      }
      const first = interfaces[0];
      if (first === undefined) throw new Error(`host ${hostName} has no LAN`);
      // Multicast without a chosen interface leaves by eth0, also on hosts without a default
      // route (the gateway).
      script.push(`ip route add 224.0.0.0/4 dev ${first.name}`);
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
    for (const { host, script } of plans) {
      // A default route as on a real LAN: through the host on both LANs, if this LAN has one.
      const first = host.interfaces[0] as LabInterface;
      const gateway = host.interfaces.length === 1 ? gateways.get(first.lan) : undefined;
      if (gateway !== undefined) {
        const [v4, v6] = gateway.split(' ');
        script.push(`ip route add default via ${v4}`, `ip -6 route add default via ${v6}`);
      }
      await must('ip', ['netns', 'exec', host.netns, 'sh', '-ec', script.join('\n')]);
    }
    await Promise.all(plans.map(({ host }) => this.#settle(host)));
    return undefined;
  }

  /**
   * Waits until every interface of `host` is operationally up with its link-local address: the
   * kernel brings a new link up, and makes its IPv6 link-local address, a moment after it is
   * set up (up to a second later, batched), and drops what is sent before. The kernel offers no
   * event for it short of a netlink monitor, so this looks, at most 10 s.
   */
  async #settle(host: LabHost): Promise<void> {
    const deadline = performance.now() + 10_000;
    for (;;) {
      const links = JSON.parse(await must('ip', ['-n', host.netns, '-j', 'addr', 'show'])) as {
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
    const prefix = assignments.length > 0 ? ['env', ...assignments] : [];
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

  /** Starts one of the Python peers of test/interop on `host`. */
  python(
    host: string,
    script: string,
    args: (string | number)[],
    env: Record<string, string> = {},
  ): LineChild {
    return this.spawn(host, 'python3', [`test/interop/${script}`, ...args], env);
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
    const i = target.interfaces.length;
    const name = `eth${i}`;
    const port = `p-${host}`.slice(0, 12) + `-${i}`;
    await must('ip', [
      ...['-n', this.#switch, 'link', 'add', port, 'type', 'veth'],
      ...['peer', 'name', name, 'netns', target.netns],
    ]);
    await must('ip', ['-n', this.#switch, 'link', 'set', port, 'master', `br${lanIndex}`, 'up']);
    const face: LabInterface = {
      name,
      lan,
      ipv4: `198.18.${lanIndex}.${member}`,
      prefix: 24,
      broadcast: `198.18.${lanIndex}.255`,
      ipv6: `fd00:0:0:${lanIndex + 1}::${member}`,
      linkLocal: '',
      port,
    };
    await must('ip', [
      ...['netns', 'exec', target.netns, 'sh', '-ec'],
      [
        `sysctl -qw net.ipv6.conf.${name}.accept_dad=0`,
        `ip link set ${name} up`,
        `ip addr add ${face.ipv4}/24 brd + dev ${name}`,
        `ip -6 addr add ${face.ipv6}/64 dev ${name} nodad`,
      ].join('\n'),
    ]);
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
   * Kills everything still running in the lab's hosts and deletes its namespaces (bridges and
   * cables go with them). Idempotent; never throws.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#children].map((child) => child.close()));
    for (const netns of this.#namespaces) {
      // Processes this lab's tests started inside its hosts (children of children) would keep
      // a namespace alive after its name is deleted.
      const pids = await run('ip', ['netns', 'pids', netns]);
      for (const pid of pids.stdout.split(/\s+/).filter((p) => /^\d+$/.test(p))) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone already
        }
      }
    }
    for (const netns of this.#namespaces.reverse()) {
      await run('ip', ['netns', 'delete', netns]);
      liveNamespaces.delete(netns);
    }
  }
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
