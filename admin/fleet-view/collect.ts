/**
 * The fleet view's data: one survey per interval, whatever the number of viewers, with get_hosts'
 * own engine (survey, statuses, decide), and an hour of history per server for the sparklines.
 * For each server it also says which algorithms would send the next login there now.
 */
import { decide, type Decision } from '../../balance/decide/decide.ts';
import { seededRandom } from '../../balance/decide/random.ts';
import { fetchOverTcp } from '../../balance/probe/tcp-fetch.ts';
import { surveyServers, type ServerReport } from '../../balance/probe/survey.ts';
import { formatServer, serverKey, type ServerAddress } from '../../balance/servers.ts';
import type { LocalAlgorithm, Settings } from '../../balance/settings.ts';
import { loadPerCpu } from '../../shared/wire/rating.ts';
import { parseAdvertisement } from '../../shared/wire/parse.ts';

/** The algorithms whose pick is shown per server (loadbalancer needs the central balancer: not polled). */
export const SHOWN_ALGORITHMS: LocalAlgorithm[] = ['two-choices', 'deficit', 'best', 'weighted', 'machash', 'random', 'fixed'];
/** History kept per server: an hour at the longest interval's resolution, never more points than this. */
export const HISTORY_POINTS = 720;

export interface FleetRow {
  server: string;
  status: string;
  /** Why it has that status (the filter's sentence). */
  detail: string;
  state: 'accepting' | 'draining' | null;
  sessions: number | null;
  users: number | null;
  loadPerCpu: number | null;
  memUsedPct: number | null;
  swapPagesPerSec: number | null;
  logins60s: number | null;
  weight: number | null;
  cpus: number | null;
  daemonUptimeSec: number | null;
  rttMs: number | null;
  /** Algorithms that would choose this server for the next login now. */
  pickedBy: LocalAlgorithm[];
  /** The winbind pool's summary, when the server advertises one. */
  pool: { workers: number; busy: number; max: number; queue: number } | null;
  /** Only with --show-users. */
  userNames?: string[];
}

export interface FleetSnapshot {
  /** ms since the epoch. */
  at: number;
  algorithm: string;
  /** Set when no algorithm really chose: nobody answered, or every responder was filtered. */
  fallback: string | null;
  /** What get_hosts would print now (the configured algorithm). */
  hosts: string[];
  rows: FleetRow[];
}

export interface HistoryPoint {
  at: number;
  sessions: number | null;
  loadPerCpu: number | null;
}

export interface CollectorOptions {
  servers: ServerAddress[];
  settings: Settings;
  /** The client identity machash hashes (this machine's MAC). */
  clientKey: string;
  /** Fetch each server's TCP document for its user names. */
  showUsers: boolean;
  deadlineMs: number;
}

const round = (n: number, digits: number): number => Math.round(n * 10 ** digits) / 10 ** digits;

function rowOf(report: ServerReport, decision: Decision, index: number, pickedBy: LocalAlgorithm[], showUsers: boolean): FleetRow {
  const verdict = decision.servers[index]!;
  const ad = report.ad;
  const row: FleetRow = {
    server: formatServer(report.server),
    status: verdict.status,
    detail: verdict.detail,
    state: ad?.state ?? null,
    sessions: ad?.sessions ?? null,
    users: ad?.users ?? null,
    loadPerCpu: ad ? round(loadPerCpu(ad), 2) : null,
    memUsedPct: ad ? round(100 * (1 - ad.memAvailableKb / ad.memTotalKb), 0) : null,
    swapPagesPerSec: ad ? round(ad.swapInPerSec + ad.swapOutPerSec, 0) : null,
    logins60s: ad?.loginsLast60s ?? null,
    weight: ad?.weight ?? null,
    cpus: ad?.cpus ?? null,
    daemonUptimeSec: ad ? Math.round(ad.daemonUptimeSec) : null,
    rttMs: report.reachable && report.rttMs !== undefined ? round(report.rttMs, 1) : null,
    pickedBy,
    pool: ad?.pool ?? null,
  };
  if (showUsers && ad?.userNames) row.userNames = ad.userNames;
  return row;
}

export class FleetCollector {
  private readonly history = new Map<string, HistoryPoint[]>();
  private latest: FleetSnapshot | undefined;
  /** Surveys run so far (the benchmark and tests check: one per interval, whatever the viewers). */
  surveys = 0;

  constructor(private readonly opts: CollectorOptions) {}

  get snapshot(): FleetSnapshot | undefined {
    return this.latest;
  }

  historyOf(server: string): HistoryPoint[] {
    return this.history.get(server) ?? [];
  }

  allHistory(): Record<string, HistoryPoint[]> {
    return Object.fromEntries(this.history);
  }

  async poll(): Promise<FleetSnapshot> {
    const { servers, settings, deadlineMs } = this.opts;
    this.surveys++;
    const signal = AbortSignal.timeout(deadlineMs);
    const reports = await surveyServers(servers, { timeoutMs: deadlineMs, signal });
    if (this.opts.showUsers) await this.fetchUserNames(reports, deadlineMs);
    // Every algorithm on the same survey, with a fixed seed: "where would the next login go now".
    const picks = new Map<string, LocalAlgorithm[]>();
    for (const algorithm of SHOWN_ALGORITHMS) {
      const d = decide(reports, { ...settings, algorithm }, { mac: this.opts.clientKey, random: seededRandom(1) });
      if (d.fallback) continue; // nobody usable: no algorithm is really choosing
      const key = serverKey(d.chosen);
      picks.set(key, [...(picks.get(key) ?? []), algorithm]);
    }
    const decision = decide(reports, settings, { mac: this.opts.clientKey, random: seededRandom(1) });
    const rows = reports.map((r, i) => rowOf(r, decision, i, picks.get(serverKey(r.server)) ?? [], this.opts.showUsers));
    const at = Date.now();
    for (const row of rows) {
      const points = this.history.get(row.server) ?? [];
      points.push({ at, sessions: row.sessions, loadPerCpu: row.loadPerCpu });
      if (points.length > HISTORY_POINTS) points.splice(0, points.length - HISTORY_POINTS);
      this.history.set(row.server, points);
    }
    this.latest = { at, algorithm: decision.algorithm, fallback: decision.fallback ?? null, hosts: [...new Set(decision.ordered.map((s) => s.host))], rows };
    return this.latest;
  }

  /** User names travel only in the TCP document; fetched within the same deadline, best effort. */
  private async fetchUserNames(reports: ServerReport[], deadlineMs: number): Promise<void> {
    const signal = AbortSignal.timeout(deadlineMs);
    await Promise.all(
      reports.map(async (r) => {
        if (!r.reachable || !r.ad || !r.address) return;
        try {
          const { bytes } = await fetchOverTcp(r.address, r.server.port, signal);
          r.ad.userNames = parseAdvertisement(bytes).userNames ?? [];
        } catch {
          // A server that answered UDP but not TCP keeps its row; only the names are missing.
        }
      }),
    );
  }
}
