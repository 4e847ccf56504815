/**
 * One poll of the fleet: the decision pipeline get_hosts runs (balance/gather.ts, without the cache
 * the bridge itself writes), turned into snapshot rows. Nothing of the querying, checking or
 * choosing is done here, so the recommended server is the one get_hosts would print first.
 */
import type { Decision } from '../balance/decide/decide.ts';
import { StatusDamper, type StatusChange } from '../balance/decide/status-damper.ts';
import { logInfo } from '../shared/log.ts';
import { NoServersError } from '../balance/errors.ts';
import { gatherDecision, type GatherSource } from '../balance/gather.ts';
import { formatServer, serverKey } from '../balance/servers.ts';
import type { Settings } from '../balance/settings.ts';
import { loadPerCpu } from '../shared/wire/rating.ts';
import type { SnapshotServer, SnapshotStatus } from './format.ts';
import type { PollFn } from './serve.ts';

/**
 * One row per server, the decision's choice marked (unless Down). Rows keep the surveyed order
 * (the configured one) so they do not jump on refresh; discovered servers answer in a different
 * order every time, so their rows are sorted by address. Only the display is sorted: the decision
 * was taken on the reports as get_hosts sees them. With a damper, the status shown changes only as
 * status-damper.ts allows, and each change is logged with its reason.
 */
export function snapshotServers(decision: Decision, source: GatherSource, damper?: StatusDamper): SnapshotServer[] {
  const chosen = serverKey(decision.chosen);
  const rows = decision.servers.map(({ report, status, display, detail }) => {
    const server = formatServer(report.server);
    const shown = damper ? damper.update(server, display, detail, logChange) : display;
    const s: SnapshotStatus = shown; // the two vocabularies must stay the same
    return {
      server,
      status: s,
      recommended: status !== 'Down' && serverKey(report.server) === chosen,
      rating: report.ad?.rating ?? null,
      loadPerCpu: report.ad ? loadPerCpu(report.ad) : null,
      users: report.ad?.users ?? null,
      rttMs: report.reachable ? (report.rttMs ?? null) : null,
    };
  });
  damper?.retain(new Set(rows.map((r) => r.server)));
  if (source === 'discovery') rows.sort((a, b) => a.server.localeCompare(b.server));
  return rows;
}

function logChange(c: StatusChange): void {
  logInfo(`server ${c.server}: ${c.from} -> ${c.to} (${c.reason})`);
}

/** `clientKey` is what get_hosts hashes for machash: this client's MAC, else its hostname. */
export function surveyPoll(settings: Settings, clientKey: string): PollFn {
  const damper = new StatusDamper();
  return async () => {
    try {
      const { decision, source, reports } = await gatherDecision(settings, { clientKey, newRandom: () => Math.random, useCache: false });
      return { servers: snapshotServers(decision, source, damper), reports };
    } catch (err) {
      // Discovery found nobody this time: an empty list tells the greeter more than silence.
      if (err instanceof NoServersError) return { servers: [], reports: [] };
      throw err;
    }
  };
}
