/**
 * A test network made of Linux network namespaces, touching nothing of the host's own network:
 *
 *   switch namespace:  bridge "br0"  --  veth "p<i>" per host
 *   host namespace i:  veth "eth0" = <subnet>.<octet>/24, MAC 02:77:00:00:00:<i>, lo, default route on eth0
 *
 * The bridge lives in its own "switch" namespace, the addresses exist only inside the host
 * namespaces, and nothing is ever routed out: traffic between the hosts crosses the bridge and
 * never leaves the namespaces this run created. Names carry the owner's pid and a per-run counter,
 * so parallel runs never collide and leftovers of a killed run are recognised (cleanup.ts).
 */
import { runCommand, type CommandOptions, type CommandResult } from '../../admin/run-command.ts';
import { mustRun } from './must-run.ts';
import { cleanupLeftovers, forgetNamespace, NAMESPACE_PREFIX, registerNamespace, removeNamespacesSync } from './cleanup.ts';
import { FleetArgumentError, FleetTimeoutError, NetemUnavailableError, NotRootError } from './errors.ts';
import { BLACKHOLE_DEV, BLACKHOLE_PEER, bpfLossCommands, checkFault, netemArgs, type LinkFault } from './link-faults.ts';
import { ManagedProcess } from './process.ts';

export interface FleetHost {
  name: string;
  /** Network namespace name (for `ip netns exec`). */
  ns: string;
  address: string;
  mac: string;
  /** The host's port on the bridge, in the switch namespace. */
  switchPort: string;
}

export interface FleetOptions {
  /** Host names, e.g. ['app1', 'app2', 'client1']: letters, digits and dashes. */
  hosts: readonly string[];
  /** First three octets of the private /24 used inside the namespaces. */
  subnet?: string;
  /** Last octet of the first host; the others follow. */
  firstOctet?: number;
}

const HOST_NAME = /^[a-z][a-z0-9-]{0,15}$/;
const SUBNET = /^(10|192\.168|172\.(1[6-9]|2\d|3[01]))(\.\d{1,3}){1,2}$/;
let runCounter = 0;

export function requireRoot(what = 'the fleet harness'): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) throw new NotRootError(what);
}

export class Fleet {
  readonly id: string;
  readonly subnet: string;
  readonly switchNs: string;
  private readonly hostsByName = new Map<string, FleetHost>();
  private readonly processes = new Set<ManagedProcess>();
  private readonly namespaces: string[] = [];
  private netem: boolean | undefined;
  private tornDown = false;

  private constructor(id: string, subnet: string) {
    this.id = id;
    this.subnet = subnet;
    this.switchNs = `${id}-sw`;
  }

  /** Builds the switch and every host; on any failure, removes what was built and rethrows. */
  static async create(options: FleetOptions): Promise<Fleet> {
    requireRoot();
    const subnet = options.subnet ?? '10.77.0';
    const firstOctet = options.firstOctet ?? 2;
    if (!SUBNET.test(subnet) || subnet.split('.').length !== 3) {
      throw new FleetArgumentError(`subnet must be the first three octets of a private /24 (e.g. 10.77.0), got "${subnet}"`);
    }
    if (options.hosts.length === 0 || firstOctet < 1 || firstOctet + options.hosts.length > 254) {
      throw new FleetArgumentError(`need 1..${254 - firstOctet} hosts starting at .${firstOctet}, got ${options.hosts.length}`);
    }
    for (const name of options.hosts) {
      if (!HOST_NAME.test(name) || name === 'sw') throw new FleetArgumentError(`host name must match ${HOST_NAME} (and not be "sw"), got "${name}"`);
    }
    if (new Set(options.hosts).size !== options.hosts.length) throw new FleetArgumentError('host names must be unique');
    cleanupLeftovers();

    const fleet = new Fleet(`${NAMESPACE_PREFIX}${process.pid}-${++runCounter}`, subnet);
    try {
      await fleet.addNamespace(fleet.switchNs);
      await fleet.ip(fleet.switchNs, 'link', 'add', 'br0', 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0');
      await fleet.ip(fleet.switchNs, 'link', 'set', 'br0', 'up');
      await fleet.addBlackhole(fleet.switchNs);
      for (const [i, name] of options.hosts.entries()) await fleet.addHost(name, i + 1, `${subnet}.${firstOctet + i}`);
      return fleet;
    } catch (err) {
      await fleet.teardown();
      throw err;
    }
  }

  get hosts(): FleetHost[] {
    return [...this.hostsByName.values()];
  }

  host(name: string): FleetHost {
    const h = this.hostsByName.get(name);
    if (!h) throw new FleetArgumentError(`no host "${name}" in fleet ${this.id} (hosts: ${[...this.hostsByName.keys()].join(', ')})`);
    return h;
  }

  private async addNamespace(ns: string): Promise<void> {
    registerNamespace(ns); // before creating: an exit between the two still cleans up
    this.namespaces.push(ns);
    await mustRun(['ip', 'netns', 'add', ns]);
    await this.ip(ns, 'link', 'set', 'lo', 'up');
  }

  /** The down veth pair that link-faults.ts sends dropped packets to. */
  private async addBlackhole(ns: string): Promise<void> {
    await this.ip(ns, 'link', 'add', BLACKHOLE_DEV, 'type', 'veth', 'peer', 'name', BLACKHOLE_PEER);
  }

  private async addHost(name: string, index: number, address: string): Promise<void> {
    const ns = `${this.id}-${name}`;
    const port = `p${index}`;
    const mac = `02:77:00:00:${(index >> 8).toString(16).padStart(2, '0')}:${(index & 0xff).toString(16).padStart(2, '0')}`;
    await this.addNamespace(ns);
    await this.ip(this.switchNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    await this.ip(this.switchNs, 'link', 'set', port, 'master', 'br0', 'up');
    await this.ip(ns, 'link', 'set', 'eth0', 'address', mac);
    await this.ip(ns, 'addr', 'add', `${address}/24`, 'brd', '+', 'dev', 'eth0');
    await this.ip(ns, 'link', 'set', 'eth0', 'up');
    // Only so that a broadcast to 255.255.255.255 has a route; it points at the bridge, nowhere else.
    await this.ip(ns, 'route', 'add', 'default', 'dev', 'eth0');
    await this.addBlackhole(ns);
    this.hostsByName.set(name, { name, ns, address, mac, switchPort: port });
  }

  private ip(ns: string, ...args: string[]): Promise<string> {
    return mustRun(['ip', '-n', ns, ...args]);
  }

  private tc(ns: string, ...args: string[]): Promise<string> {
    return mustRun(['tc', '-n', ns, ...args]);
  }

  /** `argv` run inside the host's namespace; resolves whatever the exit status. */
  exec(hostName: string, argv: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
    return runCommand(['ip', 'netns', 'exec', this.host(hostName).ns, ...argv], options);
  }

  /** A long-running process inside the host's namespace, stopped by stop() or teardown(). */
  spawn(hostName: string, argv: readonly string[], options: { label?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): ManagedProcess {
    const host = this.host(hostName);
    const p = new ManagedProcess(['ip', 'netns', 'exec', host.ns, ...argv], { label: options.label ?? `${hostName}: ${argv[0]}`, env: options.env, cwd: options.cwd });
    this.processes.add(p);
    void p.exited.then(() => this.processes.delete(p));
    return p;
  }

  /** Polls `nc -z` from `fromHost` until a TCP port answers, or throws after `timeoutMs`. */
  async waitForTcp(fromHost: string, address: string, port: number, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.exec(fromHost, ['nc', '-z', '-w', '1', address, String(port)], { timeoutMs: 3000 });
      if (r.status === 0) return;
      if (Date.now() > deadline) {
        throw new FleetTimeoutError(`${address}:${port} did not accept TCP from ${fromHost} within ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Whether this kernel has sch_netem; probed once per fleet on the switch's blackhole veth. */
  async hasNetem(): Promise<boolean> {
    if (this.netem === undefined) {
      const r = await runCommand(['tc', '-n', this.switchNs, ...netemArgs(BLACKHOLE_DEV, { delayMs: 0, lossPercent: 0 })]);
      this.netem = r.status === 0;
      if (this.netem) await this.tc(this.switchNs, 'qdisc', 'del', 'dev', BLACKHOLE_DEV, 'root');
    }
    return this.netem;
  }

  /**
   * Delay and loss for one host. Loss applies to each direction (packets the host sends and packets
   * the bridge delivers to it), so a request/reply exchange survives with (1-p)^2. Delay is added
   * once, on the host's outgoing side. `{}` clears the fault.
   */
  async setLink(hostName: string, fault: LinkFault): Promise<void> {
    const host = this.host(hostName);
    const f = checkFault(fault);
    const ends: Array<[string, string]> = [[host.ns, 'eth0'], [this.switchNs, host.switchPort]];
    for (const [ns, dev] of ends) {
      await runCommand(['tc', '-n', ns, 'qdisc', 'del', 'dev', dev, 'root']);
      await runCommand(['tc', '-n', ns, 'qdisc', 'del', 'dev', dev, 'clsact']);
    }
    if (f.delayMs === 0 && f.lossPercent === 0) return;
    if (await this.hasNetem()) {
      await this.tc(host.ns, ...netemArgs('eth0', f));
      await this.tc(this.switchNs, ...netemArgs(host.switchPort, { delayMs: 0, lossPercent: f.lossPercent }));
      return;
    }
    if (f.delayMs > 0) throw new NetemUnavailableError();
    for (const [ns, dev] of ends) {
      for (const args of bpfLossCommands(dev, f.lossPercent)) await this.tc(ns, ...args);
    }
  }

  /** Cuts the host off the bridge (its cable pulled): packets to and from it vanish. */
  async partition(hostName: string): Promise<void> {
    await this.ip(this.switchNs, 'link', 'set', this.host(hostName).switchPort, 'down');
  }

  async heal(hostName: string): Promise<void> {
    await this.ip(this.switchNs, 'link', 'set', this.host(hostName).switchPort, 'up');
  }

  /** Processes of this fleet still running (for "nothing left running" assertions). */
  get running(): ManagedProcess[] {
    return [...this.processes].filter((p) => p.running);
  }

  /** Stops every process (SIGTERM, SIGKILL after the grace), then deletes every namespace. Idempotent. */
  async teardown(graceMs = 2000): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    await Promise.all([...this.processes].map((p) => p.stop(graceMs)));
    // Anything a process forked and left behind dies with its namespace.
    removeNamespacesSync(this.namespaces);
    for (const n of this.namespaces) forgetNamespace(n);
  }
}
