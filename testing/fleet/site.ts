/**
 * An LTSP site in network namespaces: application servers running the real advertise daemon (and
 * sshd when asked), thin clients running get_hosts and the greeter bridge. The commands are the
 * bundles that `install` ships (scripts/bundle.mjs, built once per site into its temp directory):
 * what runs here is what a thin client runs, and a bundle starts fast enough for many clients at once.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetCommandError } from './errors.ts';
import { Fleet, type FleetOptions } from './netns.ts';
import type { ManagedProcess } from './process.ts';
import { startSshd, type RunningSshd } from './sshd.ts';

export const PROJECT_ROOT = new URL('../..', import.meta.url).pathname;
export const PROC_FIXTURES = join(PROJECT_ROOT, 'testing/fixtures/proc');
export const SITE_PORT = 377;

export interface ServerOptions {
  /** A directory for --procfs (default: the idle fixture). */
  procfs?: string;
  drain?: boolean;
  weight?: number;
  /** --interface names: answer only clients in their subnets. */
  interfaces?: string[];
  /** Bind this address instead of 0.0.0.0 (0.0.0.0 is what answers broadcasts). */
  address?: string;
  config?: string;
  /** UDP queries/s per source; default 0 (off), since one test client asks far more often than LDM. */
  rateLimit?: number;
}

export interface GetHostsRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Wall time of the whole process, start-up included, as LDM waits for it. */
  wallMs: number;
  /** Parsed --json output, when asked for. */
  json?: GetHostsJson;
}

/** The fields of get_hosts --json the scenarios read (get-hosts/explain.ts has them all). */
export interface GetHostsJson {
  algorithm: string;
  fallback: string | null;
  chosen: string;
  reason: string;
  hosts: string[];
  source: string;
  deadlineMs: number;
  elapsedMs: number;
  servers: Array<{
    server: string;
    status: string;
    filteredBy: string | null;
    detail: string;
    error: { code: string; message: string } | null;
    score: { slowStart: number; value: number } | null;
    reported: { daemonUptimeSec: number; state: string; hostname: string } | null;
    login: { ok: boolean } | null;
  }>;
}

export class LtspSite {
  readonly fleet: Fleet;
  readonly dir: string;
  readonly bundles: string;
  private readonly servers = new Map<string, ManagedProcess>();
  private readonly queues: string[] = [];

  private constructor(fleet: Fleet, dir: string) {
    this.fleet = fleet;
    this.dir = dir;
    this.bundles = join(dir, 'bin');
  }

  static async create(options: FleetOptions): Promise<LtspSite> {
    const dir = mkdtempSync(join(tmpdir(), 'ltsp-balance-site-'));
    try {
      const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'scripts/bundle.mjs'), join(dir, 'bin')], { encoding: 'utf8', timeout: 120_000 });
      if (r.status !== 0) throw new FleetCommandError(['node', 'scripts/bundle.mjs'], r.status, r.signal, r.stderr);
      // The bundles leave the native module (koffi) outside: resolve it from the project.
      symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'));
      writeFileSync(join(dir, 'lts.conf'), '# every setting comes from the environment in these scenarios\n');
      writeFileSync(join(dir, 'utmp'), '');
      return new LtspSite(await Fleet.create(options), dir);
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** argv running a bundled command. */
  command(name: string, ...args: string[]): string[] {
    return [process.execPath, join(this.bundles, `${name}.js`), ...args];
  }

  address(host: string): string {
    return this.fleet.host(host).address;
  }

  /** "10.77.0.2:377,..." for --servers. */
  serverList(hosts: readonly string[]): string {
    return hosts.map((h) => `${this.address(h)}:${SITE_PORT}`).join(',');
  }

  /** Starts (or restarts) the advertise daemon on `host` and waits until it listens. */
  async startServer(host: string, options: ServerOptions = {}): Promise<ManagedProcess> {
    await this.stopServer(host);
    const args = ['--address', options.address ?? '0.0.0.0', '--port', String(SITE_PORT), '--procfs', options.procfs ?? join(PROC_FIXTURES, 'idle'),
      '--utmp', join(this.dir, 'utmp'), '--status-socket', join(this.dir, `${host}-advertise.sock`), '--hostname', host,
      '--sample-interval', '250', '--rate-limit', String(options.rateLimit ?? 0)];
    if (options.drain) args.push('--drain');
    if (options.weight !== undefined) args.push('--weight', String(options.weight));
    if (options.config) args.push('--config', options.config);
    for (const i of options.interfaces ?? []) args.push('--interface', i);
    const p = this.fleet.spawn(host, this.command('ltsp-server-advertise', ...args), { label: `advertise ${host}` });
    this.servers.set(host, p);
    await p.waitForOutput(/listening on/, 30_000);
    return p;
  }

  /** SIGKILL: the daemon dies as in a crash, without draining. */
  killServer(host: string): void {
    this.servers.get(host)?.signal('SIGKILL');
  }

  async stopServer(host: string): Promise<void> {
    await this.servers.get(host)?.stop();
    this.servers.delete(host);
  }

  server(host: string): ManagedProcess | undefined {
    return this.servers.get(host);
  }

  startSshd(host: string, port = 22): Promise<RunningSshd> {
    return startSshd(this.fleet, host, this.dir, port);
  }

  /** Settings every client gets unless a call overrides them (the tests' deadline: site-assert.ts). */
  readonly clientDefaults: Record<string, string> = {};

  /** The environment get_hosts sees on `client`: lts.conf variables plus a cache path of its own. */
  clientEnv(client: string, env: Record<string, string> = {}): NodeJS.ProcessEnv {
    mkdirSync(join(this.dir, client), { recursive: true });
    return { PATH: process.env.PATH, LDM_BALANCE_CACHE: join(this.dir, client, 'survey.json'), ...this.clientDefaults, ...env };
  }

  /** Runs get_hosts on `client`; with `json` the output is parsed. */
  async getHosts(client: string, args: string[], env: Record<string, string> = {}): Promise<GetHostsRun> {
    const t0 = performance.now();
    const r = await this.fleet.exec(client, this.command('get_hosts', '--config', join(this.dir, 'lts.conf'), ...args), { env: this.clientEnv(client, env), timeoutMs: 30_000 });
    const run: GetHostsRun = { status: r.status, stdout: r.stdout, stderr: r.stderr, wallMs: performance.now() - t0 };
    if (args.includes('--json') && r.stdout.trim().startsWith('{')) run.json = JSON.parse(r.stdout) as GetHostsJson;
    return run;
  }

  /**
   * The greeter bridge serving on `client`, writing the survey cache that get_hosts there reads.
   * With no servers it discovers them by broadcast, as get_hosts does.
   */
  async startBridge(client: string, servers: readonly string[], intervalS = 1): Promise<{ serve: ManagedProcess; queues: string[] }> {
    const queues = [`/${this.fleet.id}-${client}-servers`, `/${this.fleet.id}-${client}-choice`];
    this.queues.push(...queues);
    const serve = this.fleet.spawn(client, this.command('ltsp-greeter-bridge', 'serve', '--queue', queues[0]!, '--choice-queue', queues[1]!,
      '--config', join(this.dir, 'lts.conf'), ...(servers.length > 0 ? ['--servers', this.serverList(servers)] : []), '--interval', String(intervalS),
      '--output', join(this.dir, client, 'choice')), { label: `bridge ${client}`, env: this.clientEnv(client) });
    await serve.waitForOutput(/serving /, 30_000);
    return { serve, queues };
  }

  /** Stops everything, deletes the namespaces, the bridges' queues and the temporary directory. */
  async teardown(): Promise<void> {
    try {
      await this.fleet.teardown();
      if (this.queues.length > 0) {
        // The bridge leaves its queues for a greeter that may still hold them; these are ours.
        const { unlinkQueue } = await import('../../greeter-bridge/mq.ts');
        for (const q of this.queues.splice(0)) unlinkQueue(q);
      }
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
