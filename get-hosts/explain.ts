/**
 * `--explain` and `--json`: for every server what it reported, its round trip, its status, the
 * filter that removed it, and why the winner won. The JSON is the source; the text is a rendering
 * of it, so the two never disagree.
 */
import { loadPerCpu } from '../shared/wire/rating.ts';
import { oneLine } from '../shared/log.ts';
import type { Decision, DecideSettings, LoadBalancerAnswer } from '../balance/decide/decide.ts';
import type { Settings } from '../balance/settings.ts';
import { formatServer } from '../balance/servers.ts';

export const EXPLAIN_FORMAT = 'ltsp-balance-get-hosts/1';

export interface ExplainContext {
  /** Where the reports came from. */
  source: 'survey' | 'cache' | 'discovery';
  deadlineMs: number;
  elapsedMs: number;
  client: string;
  hosts: string[];
  warnings: string[];
  /** The seed of the decision's random draws: with the rest, enough for --replay to decide again. */
  seed?: number;
  settings?: DecideSettings & Pick<Settings, 'xdmcp'>;
  loadBalancer?: LoadBalancerAnswer;
}

export function explanation(decision: Decision, ctx: ExplainContext): Record<string, unknown> {
  return {
    format: EXPLAIN_FORMAT,
    algorithm: decision.algorithm,
    fallback: decision.fallback ?? null,
    chosen: formatServer(decision.chosen),
    reason: decision.reason,
    hosts: ctx.hosts,
    source: ctx.source,
    deadlineMs: ctx.deadlineMs,
    elapsedMs: Math.round(ctx.elapsedMs * 100) / 100,
    client: ctx.client,
    warnings: ctx.warnings,
    seed: ctx.seed ?? null,
    settings: ctx.settings ? replaySettings(ctx.settings) : null,
    loadBalancer: ctx.loadBalancer ?? null,
    servers: decision.servers.map((v) => {
      const { userNames: _names, ...reported } = v.report.ad ?? {};
      return {
        server: formatServer(v.report.server),
        address: v.report.address ?? null,
        status: v.display,
        candidate: v.candidate,
        filteredBy: (!v.candidate && v.filteredBy) || null,
        detail: v.detail,
        via: v.report.via ?? null,
        rttMs: v.report.rttMs ?? null,
        error: v.report.error ?? null,
        login: v.report.login ?? null,
        score: v.score ?? null,
        reported: v.report.ad ? reported : null,
      };
    }),
  };
}

/** The settings decide() reads, as JSON (weights as an object). */
function replaySettings(s: DecideSettings & Pick<Settings, 'xdmcp'>): Record<string, unknown> {
  return {
    algorithm: s.algorithm,
    fallbackAlgorithm: s.fallbackAlgorithm,
    maxLoadPerCpu: s.maxLoadPerCpu,
    maxRttMs: s.maxRttMs,
    skipSwapping: s.skipSwapping,
    slowStartSec: s.slowStartSec,
    boundedLoadEpsilon: s.boundedLoadEpsilon,
    xdmcp: s.xdmcp,
    weights: Object.fromEntries(s.weights),
  };
}

const COLUMNS = ['SERVER', 'STATUS', 'VIA', 'RTT_MS', 'LOAD/CPU', 'MEM%', 'SWAP/S', 'SESS', 'LOGINS60', 'WEIGHT', 'DAEMON_S', 'RATING', 'SCORE', 'FILTER', 'DETAIL'];

export function formatExplanation(decision: Decision, ctx: ExplainContext): string {
  const rows = decision.servers.map((v) => {
    const ad = v.report.ad;
    const dash = '-';
    return [
      formatServer(v.report.server),
      v.display,
      v.report.via ?? dash,
      v.report.rttMs?.toFixed(2) ?? dash,
      ad ? loadPerCpu(ad).toFixed(2) : dash,
      ad ? (100 * (1 - ad.memAvailableKb / ad.memTotalKb)).toFixed(0) : dash,
      ad ? (ad.swapInPerSec + ad.swapOutPerSec).toFixed(0) : dash,
      ad ? String(ad.sessions) : dash,
      ad ? String(ad.loginsLast60s) : dash,
      ad ? String(ad.weight) : dash,
      ad ? ad.daemonUptimeSec.toFixed(0) : dash,
      ad ? String(ad.rating) : dash,
      v.score ? v.score.value.toFixed(1) : dash,
      (!v.candidate && v.filteredBy) || dash,
      oneLine(v.detail),
    ];
  });
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const out = [
    `get_hosts: ${ctx.source} of ${decision.servers.length} server(s) in ${ctx.elapsedMs.toFixed(1)} ms (deadline ${ctx.deadlineMs} ms), client ${ctx.client}`,
    ...ctx.warnings.map((w) => `warning: ${oneLine(w)}`),
    line(COLUMNS),
    ...rows.map(line),
    `chosen: ${formatServer(decision.chosen)} (${decision.algorithm}${decision.fallback ? `, fallback: ${decision.fallback}` : ''})`,
    `why: ${oneLine(decision.reason)}`,
    `hosts: ${ctx.hosts.join(' ')}`,
  ];
  return `${out.join('\n')}\n`;
}
