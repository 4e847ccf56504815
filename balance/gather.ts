/**
 * The one decision pipeline, from settings to a Decision, shared by get_hosts, the greeter bridge's
 * poll and the greeter wrapper's answer at login, so the three can never disagree:
 *
 *   1. the survey cache, when allowed and fresh and it covers every configured server;
 *   2. else a survey of the configured servers (login-path checks start as each one answers, so they
 *      overlap the rest of the survey), else discovery by broadcast, else the boot server (SERVER);
 *   3. the central balancer, asked in parallel from the start when the algorithm is `loadbalancer`;
 *   4. decide (balance/decide/decide.ts);
 *   5. a decision taken from the cache is checked once more: the chosen server is queried again
 *      (one quick survey of that server alone, plus its login path) and, if it no longer answers or
 *      has become unusable, the decision is taken again with what that query found, until a server
 *      answers for itself or the deadline is spent. A server killed after the cache was written is
 *      therefore never chosen from the cache while there is time to notice.
 *
 * Everything runs under ONE deadline (`settings.timeoutMs`, counted from `startedAt`).
 */
import { ADVERTISE_PORT } from '../shared/wire/advertisement.ts';
import { readSurveyCache } from './cache.ts';
import { decide, type Decision, type LoadBalancerAnswer } from './decide/decide.ts';
import { errorSummary, LoadBalancerError, NoServersError, SurveyTimeoutError, type CacheError } from './errors.ts';
import { askLoadBalancer } from './probe/loadbalancer.ts';
import { checkLoginPath } from './probe/login-check.ts';
import { discoverServers } from './probe/discover.ts';
import { surveyServers, type ServerReport } from './probe/survey.ts';
import { formatServer, serverKey, type ServerAddress } from './servers.ts';
import type { Settings } from './settings.ts';

export type GatherSource = 'cache' | 'survey' | 'discovery';

export interface GatherOptions {
  /** This client's identity for machash: its MAC, else its hostname. */
  clientKey: string;
  /**
   * A random source per decision taken (the recheck may take several): get_hosts gives a new
   * generator from the same seed each time, so --replay of its --json reproduces the last one.
   */
  newRandom: () => () => number;
  /** Read the bridge's survey cache first (get_hosts, the greeter wrapper); the bridge, which writes it, never does. */
  useCache: boolean;
  /** performance.now() when the caller started: the deadline counts from there. Default: now. */
  startedAt?: number;
  /** Why a cache file that exists was not used (missing or stale is normal and not reported). */
  onCacheRejected?: (err: CacheError) => void;
  /** Injected clock for the cache's age (tests). */
  nowMs?: () => number;
}

export interface Gathered {
  decision: Decision;
  source: GatherSource;
  /** What the decision saw, in the order surveyed (cache entries replaced by their recheck). */
  reports: ServerReport[];
  /** Servers taken from the cache and queried again before being chosen, as `formatServer` prints them. */
  rechecked: string[];
  /** The central balancer's answer, when the algorithm is `loadbalancer`. */
  loadBalancer?: LoadBalancerAnswer;
}

/** Surveys, checks and decides within the one deadline. Throws NoServersError when there is nothing to choose from. */
export async function gatherDecision(settings: Settings, opts: GatherOptions): Promise<Gathered> {
  const deadline = new Deadline(opts.startedAt ?? performance.now(), settings.timeoutMs);
  try {
    const balancer = settings.algorithm === 'loadbalancer' ? startLoadBalancer(settings, deadline) : undefined;
    const logins = new LoginChecks(settings, deadline);
    const { reports, source } = await collect(settings, opts, deadline, (r) => logins.start(r));
    for (const r of reports) logins.start(r);
    await logins.done();
    const loadBalancer = await balancer;
    const decideNow = (): Decision => decide(reports, settings, { mac: opts.clientKey, random: opts.newRandom(), loadBalancer });
    let decision = decideNow();
    const rechecked: string[] = [];
    if (source === 'cache') {
      const checked = new Set<string>();
      // Each round checks one server that has not been checked yet, so the loop ends after at most
      // one round per server, and earlier when the deadline is spent.
      while (decision.fallback !== 'none-answered' && deadline.remaining() > 0) {
        const i = reports.findIndex((r) => serverKey(r.server) === serverKey(decision.chosen));
        if (i === -1 || checked.has(serverKey(decision.chosen))) break;
        checked.add(serverKey(decision.chosen));
        rechecked.push(formatServer(decision.chosen));
        const [fresh] = await surveyServers([reports[i]!.server], { timeoutMs: deadline.remaining(), signal: deadline.signal });
        if (fresh?.reachable && fresh.address && settings.loginCheck) fresh.login = await checkLoginPath(fresh.address, settings.loginPort, deadline.signal);
        if (fresh) reports[i] = fresh;
        decision = decideNow();
      }
    }
    return { decision, source, reports, rechecked, loadBalancer };
  } finally {
    deadline.clear();
  }
}

/**
 * What LDM gets when the pipeline itself fails after the server list is known: the configured
 * servers (host names only), else the boot server. Empty when nothing is configured.
 */
export function fallbackHosts(settings: Pick<Settings, 'servers' | 'bootServer'>): string[] {
  const hosts = [...new Set(settings.servers.map((s) => s.host))];
  if (hosts.length === 0 && settings.bootServer) hosts.push(settings.bootServer);
  return hosts;
}

/** The one overall deadline, as an abort signal every step shares. */
class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly started: number, private readonly ms: number) {
    this.timer = setTimeout(() => this.controller.abort(), this.remaining());
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

async function collect(settings: Settings, opts: GatherOptions, deadline: Deadline, onReport: (r: ServerReport) => void): Promise<{ reports: ServerReport[]; source: GatherSource }> {
  const cached = opts.useCache ? readSurveyCache(settings.cachePath, settings.cacheMaxAgeMs, (opts.nowMs ?? Date.now)(), opts.onCacheRejected) : undefined;
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
