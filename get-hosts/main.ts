/**
 * get_hosts from settings to stdout: load settings, gather reports (fresh cache, survey, or
 * discovery), check login paths, ask the central balancer if configured, decide, print. Whatever
 * goes wrong after the server list is known, LDM still gets a host list on stdout.
 */
import { UsageError } from '../shared/errors.ts';
import { EXIT } from '../shared/exit-codes.ts';
import { flagValue } from '../shared/options.ts';
import { GET_HOSTS } from '../shared/option-table.ts';
import { ADVERTISE_PORT } from '../shared/wire/advertisement.ts';
import { logError, logWarning } from '../shared/log.ts';
import { readSurveyCache } from '../balance/cache.ts';
import { decide, type LoadBalancerAnswer } from '../balance/decide/decide.ts';
import { discoverServers } from '../balance/probe/discover.ts';
import { errorSummary, LoadBalancerError, NoServersError, SurveyTimeoutError } from '../balance/errors.ts';
import { explanation, formatExplanation, type ExplainContext } from './explain.ts';
import { hostList } from './host-list.ts';
import { localIdentity, normalizeMac } from '../ltsp/identity.ts';
import { askLoadBalancer } from '../balance/probe/loadbalancer.ts';
import { checkLoginPath } from '../balance/probe/login-check.ts';
import { seededRandom } from '../balance/decide/random.ts';
import { parseServerList, serverKey, type ServerAddress } from '../balance/servers.ts';
import { ALGORITHMS, formatWarning, loadSettings, type Algorithm, type Settings } from '../balance/settings.ts';
import { surveyServers, type ServerReport } from '../balance/probe/survey.ts';

/**
 * get_hosts' rows of the shared exit-code table (LDM ignores the status; scripts and the README use it):
 * ok, usage, internal (after the server list was known: the configured list was printed),
 * unavailable (no server answered: the configured list was printed), notFound (no server configured
 * or discovered: nothing printed, ERR_NO_SERVERS), partial (hosts printed, but an invalid setting was
 * replaced by its default). unavailable wins over partial.
 */

export interface GetHostsArgs {
  config?: string;
  servers?: string;
  algorithm?: string;
  mac?: string;
  timeout?: string;
  seed?: string;
  explain?: boolean;
  json?: boolean;
}

export interface GetHostsIo {
  env: NodeJS.ProcessEnv;
  write: (text: string) => void;
}

export async function runGetHosts(args: GetHostsArgs, io: GetHostsIo): Promise<number> {
  const started = performance.now();
  const overrides = checkArgs(args);
  const identity = localIdentity();
  const mac = overrides.mac ?? identity.mac;
  const { settings, warnings } = loadSettings({ env: io.env, configPath: args.config, mac, ip: identity.ip, hostname: identity.hostname });
  const warningLines = warnings.map(formatWarning);
  for (const line of warningLines) logWarning(line);
  if (overrides.servers) settings.servers = overrides.servers;
  if (overrides.algorithm) settings.algorithm = overrides.algorithm;
  if (overrides.timeoutMs) settings.timeoutMs = overrides.timeoutMs;

  let fallbackHosts = settings.servers.map((s) => s.host);
  if (fallbackHosts.length === 0 && settings.bootServer) fallbackHosts = [settings.bootServer];
  const deadline = new Deadline(started, settings.timeoutMs);
  try {
    const balancer = settings.algorithm === 'loadbalancer' ? startLoadBalancer(settings, deadline) : undefined;
    const logins = new LoginChecks(settings, deadline);
    const { reports, source } = await gather(settings, deadline, (r) => logins.start(r));
    for (const r of reports) logins.start(r);
    await logins.done();
    // Always seeded, and the seed is in --json: `get_hosts --replay` then reproduces this decision exactly.
    const seed = overrides.seed ?? Math.floor(Math.random() * 0x1_0000_0000);
    const loadBalancer = await balancer;
    const decision = decide(reports, settings, { mac: mac ?? identity.hostname, random: seededRandom(seed), loadBalancer });
    const hosts = hostList(decision, settings.xdmcp);
    const ctx: ExplainContext = { source, deadlineMs: settings.timeoutMs, elapsedMs: performance.now() - started, client: mac ?? identity.hostname, hosts, warnings: warningLines, seed, settings, loadBalancer };
    // One line: a file of --json lines is what --replay reads.
    if (args.json) io.write(`${JSON.stringify(explanation(decision, ctx))}\n`);
    else if (args.explain) io.write(formatExplanation(decision, ctx));
    else io.write(`${hosts.join(' ')}\n`);
    if (decision.fallback === 'none-answered') return EXIT.unavailable;
    return warnings.length > 0 ? EXIT.partial : EXIT.ok;
  } catch (err) {
    if (err instanceof NoServersError || fallbackHosts.length === 0) throw err;
    logError(`${(err as Error).message}: printing the configured list`);
    io.write(`${(settings.xdmcp ? fallbackHosts.slice(0, 1) : fallbackHosts).join(' ')}\n`);
    return EXIT.internal;
  } finally {
    deadline.clear();
  }
}

interface Overrides {
  servers?: ServerAddress[];
  algorithm?: Algorithm;
  mac?: string;
  timeoutMs?: number;
  seed?: number;
}

function checkArgs(args: GetHostsArgs): Overrides {
  const out: Overrides = {};
  if (args.servers !== undefined) {
    out.servers = parseServerList(args.servers, '--servers', (err) => {
      // Past the 256-server cap: the same warning as from lts.conf, not a usage error (servers.ts).
      if (err.pastCap) logWarning(err.message);
      else throw new UsageError(err.message);
    });
    if (out.servers.length === 0) throw new UsageError('--servers: the list is empty');
  }
  if (args.algorithm !== undefined) {
    if (!(ALGORITHMS as readonly string[]).includes(args.algorithm)) {
      throw new UsageError(`--algorithm ${JSON.stringify(args.algorithm)} is not one of ${ALGORITHMS.join(', ')}`);
    }
    out.algorithm = args.algorithm as Algorithm;
  }
  if (args.mac !== undefined) {
    out.mac = normalizeMac(args.mac);
    if (!out.mac) throw new UsageError(`--mac ${JSON.stringify(args.mac)} is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  }
  if (args.timeout !== undefined) out.timeoutMs = flagValue(GET_HOSTS.timeout, args.timeout);
  if (args.seed !== undefined) out.seed = flagValue(GET_HOSTS.seed, args.seed);
  return out;
}

/** The one overall deadline, as an abort signal every step shares. */
class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly started: number, private readonly ms: number) {
    this.timer = setTimeout(() => this.controller.abort(), ms);
  }
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  remaining(): number {
    return Math.max(0, this.ms - (performance.now() - this.started));
  }
  clear(): void {
    clearTimeout(this.timer);
  }
}

async function gather(settings: Settings, deadline: Deadline, onReport: (r: ServerReport) => void): Promise<{ reports: ServerReport[]; source: ExplainContext['source'] }> {
  const cached = readSurveyCache(settings.cachePath, settings.cacheMaxAgeMs, Date.now(), (err) => logWarning(`survey cache not used: ${err.message}`));
  if (settings.servers.length > 0) {
    const byKey = new Map((cached ?? []).map((r) => [serverKey(r.server), r]));
    const fromCache = settings.servers.map((s) => byKey.get(serverKey(s)));
    if (fromCache.every((r): r is ServerReport => r !== undefined)) return { reports: fromCache, source: 'cache' };
    return { reports: await surveyServers(settings.servers, { timeoutMs: deadline.remaining(), onReport, signal: deadline.signal }), source: 'survey' };
  }
  if (cached && cached.length > 0) return { reports: cached, source: 'cache' };
  const boot: ServerAddress | undefined = settings.bootServer ? { host: settings.bootServer, port: ADVERTISE_PORT } : undefined;
  if (settings.discover) {
    const found = await discoverServers({ timeoutMs: deadline.remaining(), signal: deadline.signal });
    if (boot && !found.some((r) => r.server.host === boot.host)) found.push({ server: boot, reachable: false, error: errorSummary(new SurveyTimeoutError('did not answer the discovery broadcast')) });
    if (found.length > 0) return { reports: found, source: 'discovery' };
  } else if (boot) {
    return { reports: await surveyServers([boot], { timeoutMs: deadline.remaining(), onReport, signal: deadline.signal }), source: 'survey' };
  }
  throw new NoServersError();
}

function startLoadBalancer(settings: Settings, deadline: Deadline): Promise<LoadBalancerAnswer> {
  if (!settings.loadBalancer) return Promise.resolve({ error: errorSummary(new LoadBalancerError('LDM_BALANCE_LOADBALANCER is not set')) });
  return askLoadBalancer(settings.loadBalancer, deadline.signal);
}

/** Login-path checks start as each server answers, so they overlap the rest of the survey. */
class LoginChecks {
  private readonly pending = new Map<ServerReport, Promise<void>>();
  constructor(private readonly settings: Settings, private readonly deadline: Deadline) {}
  start(report: ServerReport): void {
    if (!this.settings.loginCheck || !report.reachable || !report.address || this.pending.has(report)) return;
    this.pending.set(report, checkLoginPath(report.address, this.settings.loginPort, this.deadline.signal).then((result) => {
      report.login = result;
    }));
  }
  async done(): Promise<void> {
    await Promise.all(this.pending.values());
  }
}
