/**
 * One poll of the fleet, exactly as get_hosts sees it: get_hosts' survey (UDP, retry, TCP, one
 * deadline) or its discovery broadcast when no list is configured, its login-path check when
 * enabled, and its decision (statuses, filters, algorithm), turned into snapshot lines. Nothing of
 * the querying, rating or choosing is done here; it is all get-hosts/ code.
 */
import { decide, type Decision } from '../balance/decide/decide.ts';
import { discoverServers } from '../balance/probe/discover.ts';
import { checkLoginPath } from '../balance/probe/login-check.ts';
import { formatServer, serverKey, type ServerAddress } from '../balance/servers.ts';
import type { Settings } from '../balance/settings.ts';
import { surveyServers, type ServerReport } from '../balance/probe/survey.ts';
import { loadPerCpu } from '../shared/wire/rating.ts';
import type { SnapshotServer, SnapshotStatus } from './format.ts';
import type { PollFn } from './serve.ts';

/** Servers in the order surveyed (rows do not jump on refresh); the decision's choice marked, unless Down. */
export function snapshotServers(decision: Decision): SnapshotServer[] {
  const chosen = serverKey(decision.chosen);
  return decision.servers.map(({ report, status }) => {
    const s: SnapshotStatus = status; // the two vocabularies must stay the same
    return {
      server: formatServer(report.server),
      status: s,
      recommended: status !== 'Down' && serverKey(report.server) === chosen,
      rating: report.ad?.rating ?? null,
      loadPerCpu: report.ad ? loadPerCpu(report.ad) : null,
      users: report.ad?.users ?? null,
      rttMs: report.reachable ? (report.rttMs ?? null) : null,
    };
  });
}

/**
 * `servers` empty: discover by broadcast each poll (as get_hosts does without a list). `clientKey`
 * is what get_hosts hashes for machash: this client's MAC, else its hostname.
 */
export function surveyPoll(servers: ServerAddress[], settings: Settings, clientKey: string): PollFn {
  return async () => {
    const deadline = AbortSignal.timeout(settings.timeoutMs);
    const reports =
      servers.length > 0
        ? await surveyServers(servers, { timeoutMs: settings.timeoutMs, signal: deadline })
        : (await discoverServers({ timeoutMs: settings.timeoutMs, signal: deadline })).sort((a, b) =>
            serverKey(a.server).localeCompare(serverKey(b.server)),
          ); // answer order changes every time; rows should not
    if (settings.loginCheck) await checkLogins(reports, settings.loginPort);
    if (reports.length === 0) return { servers: [], reports };
    return { servers: snapshotServers(decide(reports, settings, { mac: clientKey, random: Math.random })), reports };
  };
}

/** The login check gets its own deadline: the survey's may be spent, and the bridge is not in a hurry. */
async function checkLogins(reports: ServerReport[], port: number): Promise<void> {
  const signal = AbortSignal.timeout(2000);
  await Promise.all(
    reports.map(async (r) => {
      if (r.reachable && r.address) r.login = await checkLoginPath(r.address, port, signal);
    }),
  );
}
