/**
 * The decision: statuses for every server, the candidates, the chosen one and the order LDM gets.
 * Pure and synchronous (no I/O, randomness from the caller): get_hosts, the greeter bridge and the
 * storm simulator all run exactly this code.
 *
 * - Candidates exist: the algorithm picks; `loadbalancer` takes the central balancer's answer
 *   (fetched by the caller) when it names a usable or unknown server, else falls back. A candidate
 *   is an Idle server; with `fixed` (balancing off) it is any server that is neither Down nor
 *   Draining, in configured order: no load, round-trip or swap filter, and every one of them stays
 *   in LDM's menu in configured order.
 * - Servers answered but every one was filtered: a random responder (the spec's rule), preferring
 *   ones that are not draining.
 * - Nobody answered: the configured list, in configured order for `fixed`, hash order for `machash`,
 *   random order otherwise, so clients still spread when no advertise daemon runs.
 */
import { ADVERTISE_PORT, type Advertisement } from '../../shared/wire/advertisement.ts';
import { choose, type Candidate } from './algorithms.ts';
import { NoServersError } from '../errors.ts';
import { pickIndex, shuffled } from './random.ts';
import { rendezvousOrder } from './rendezvous.ts';
import { compareScores, describeScore, scoreServer, type Score } from './score.ts';
import { formatServer, serverKey, type ServerAddress } from '../servers.ts';
import type { Algorithm, Settings } from '../settings.ts';
import { classify, displayStatus, isCandidate, type DisplayStatus, type FilterName, type ServerStatus } from './status.ts';
import type { ServerReport } from '../probe/survey.ts';

export interface ServerVerdict {
  report: ServerReport;
  /** Why it is or is not a candidate (status.ts). */
  status: ServerStatus;
  /** What a person is shown: the status, with Idle split into Idle and Loaded (status.ts). */
  display: DisplayStatus;
  /** Whether the algorithm may choose it. */
  candidate: boolean;
  filteredBy?: FilterName;
  detail: string;
  score?: Score;
}

export type DecisionFallback = 'all-filtered' | 'none-answered' | 'loadbalancer-unusable';

export interface Decision {
  chosen: ServerAddress;
  /** Chosen first, then the other candidates best first (what LDM prints). */
  ordered: ServerAddress[];
  servers: ServerVerdict[];
  reason: string;
  /** The algorithm that actually chose (the fallback one when `loadbalancer` could not). */
  algorithm: Algorithm;
  fallback?: DecisionFallback;
}

export interface LoadBalancerAnswer {
  host?: string;
  error?: { code: string; message: string };
}

export interface DecideOptions {
  /** This client's MAC (machash key); any stable client identity works. */
  mac: string;
  random: () => number;
  /** What the central balancer said, when the algorithm is `loadbalancer`. */
  loadBalancer?: LoadBalancerAnswer;
}

export type DecideSettings = Pick<
  Settings,
  'algorithm' | 'fallbackAlgorithm' | 'maxLoadPerCpu' | 'maxRttMs' | 'skipSwapping' | 'weights' | 'slowStartSec' | 'boundedLoadEpsilon'
>;

export function decide(reports: readonly ServerReport[], settings: DecideSettings, opts: DecideOptions): Decision {
  if (reports.length === 0) throw new NoServersError();
  const servers: ServerVerdict[] = reports.map((report) => {
    const c = classify(report, settings);
    const { display, why } = displayStatus(c, report);
    const detail = why ? `${c.detail}; Loaded: ${why}` : c.detail;
    const verdict: ServerVerdict = { report, ...c, detail, display, candidate: isCandidate(c.status, settings.algorithm) };
    if (report.reachable && report.ad) {
      verdict.score = scoreServer(report as ServerReport & { ad: Advertisement }, settings);
      if (verdict.candidate) verdict.detail = `${verdict.detail}; ${describeScore(verdict.score, report.ad, settings)}`;
    }
    return verdict;
  });
  const usable = servers.filter((v) => v.candidate);
  if (usable.length > 0) return chooseAmong(usable, servers, settings, opts);

  const responders = servers.filter((v) => v.report.reachable);
  if (responders.length > 0) {
    const accepting = responders.filter((v) => v.status !== 'Draining');
    const pool = accepting.length > 0 ? accepting : responders;
    const fixed = settings.algorithm === 'fixed';
    const pick = fixed ? pool[0]! : pool[pickIndex(pool.length, opts.random)]!;
    return {
      ...ordering(pick, pool, servers, fixed),
      algorithm: fixed ? 'fixed' : 'random',
      fallback: 'all-filtered',
      reason: fixed
        ? `every responding server is Down or draining, so ${name(pick)}, the first configured ${accepting.length > 0 ? 'non-draining ' : ''}responder`
        : `every responding server was filtered out, so ${name(pick)} at random among ${pool.length} ${accepting.length > 0 ? 'non-draining ' : ''}responders`,
    };
  }

  const all = servers.map((v) => v.report.server);
  const algorithm = settings.algorithm === 'loadbalancer' ? settings.fallbackAlgorithm : settings.algorithm;
  let order: ServerAddress[];
  if (algorithm === 'fixed') order = all;
  else if (algorithm === 'machash') order = rendezvousOrder(opts.mac, all.map((s) => ({ key: serverKey(s), weight: 1 }))).map((i) => all[i]!);
  else order = shuffled(all, opts.random);
  return {
    chosen: order[0]!,
    ordered: order,
    servers,
    algorithm,
    fallback: 'none-answered',
    reason: `no server answered: the configured list in ${algorithm === 'fixed' ? 'configured' : algorithm === 'machash' ? 'hash' : 'random'} order`,
  };
}

function chooseAmong(usable: ServerVerdict[], servers: ServerVerdict[], settings: DecideSettings, opts: DecideOptions): Decision {
  let prefix = '';
  if (settings.algorithm === 'loadbalancer') {
    const answer = opts.loadBalancer;
    const named = answer?.host?.toLowerCase();
    const match = named === undefined ? undefined : servers.find((v) => matchesHost(v, named));
    if (named !== undefined && (!match || match.candidate)) {
      if (match) return { ...ordering(match, usable, servers), algorithm: 'loadbalancer', reason: `loadbalancer: the central balancer chose ${name(match)}` };
      const chosen = { host: answer!.host!, port: ADVERTISE_PORT };
      const rest = ordering(undefined, usable, servers);
      return { ...rest, chosen, ordered: [chosen, ...rest.ordered], algorithm: 'loadbalancer', reason: `loadbalancer: the central balancer chose ${answer!.host}, a server not in the list` };
    }
    prefix = named !== undefined
      ? `the central balancer chose ${answer!.host}, which is ${match!.status} here; `
      : `the central balancer gave no answer (${answer?.error?.message ?? 'not asked'}); `;
  }
  const algorithm = settings.algorithm === 'loadbalancer' ? settings.fallbackAlgorithm : settings.algorithm;
  const candidates: Candidate[] = usable.map((v) => ({
    name: name(v),
    key: serverKey(v.report.server),
    score: v.score!,
    sessions: v.report.ad!.sessions,
  }));
  const choice = choose(algorithm, candidates, { random: opts.random, clientKey: opts.mac, boundedLoadEpsilon: settings.boundedLoadEpsilon, maxLoadPerCpu: settings.maxLoadPerCpu });
  const decision: Decision = { ...ordering(usable[choice.index]!, usable, servers, algorithm === 'fixed'), algorithm, reason: prefix + choice.reason };
  if (prefix) decision.fallback = 'loadbalancer-unusable';
  return decision;
}

/** Chosen first, then the rest of the pool best first (ties keep configured order), or in configured order for `fixed`. */
function ordering(chosen: ServerVerdict | undefined, pool: ServerVerdict[], servers: ServerVerdict[], configuredOrder = false): Pick<Decision, 'chosen' | 'ordered' | 'servers'> {
  const rest = pool.filter((v) => v !== chosen);
  if (!configuredOrder) rest.sort((a, b) => (a.score && b.score ? compareScores(a.score, b.score) : 0));
  const ordered = [...(chosen ? [chosen] : []), ...rest].map((v) => v.report.server);
  return { chosen: ordered[0]!, ordered, servers };
}

function matchesHost(v: ServerVerdict, named: string): boolean {
  const r = v.report;
  return r.server.host.toLowerCase() === named || r.ad?.hostname.toLowerCase() === named || r.address === named;
}

function name(v: ServerVerdict): string {
  return formatServer(v.report.server);
}
