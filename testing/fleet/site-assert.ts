/**
 * What every fleet scenario shares: the site's life cycle, and what it checks about a get_hosts run
 * (it printed a host, one LDM may use, and decided within its own deadline).
 *
 * The scenarios test choices, faults and clean-up, not the 300 ms a thin client on its own CPU gets:
 * on a CI machine at 4x oversubscription a daemon's answer or the client itself can be descheduled
 * for hundreds of ms (the suite saw "decided in 752 ms" against 300). So every client gets a 1.5 s
 * deadline and no round-trip ceiling (TEST_CLIENT_ENV), and the decision may end up to TIMER_SLACK_MS
 * after its deadline; the bugs this check exists for (a timeout per server, a TCP connect timeout)
 * cost seconds. The real deadline is measured by the benchmarks (bench/fleet/).
 */
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { EXIT } from '../../shared/exit-codes.ts';
import { listFleetNamespaces } from './cleanup.ts';
import { LtspSite, type GetHostsJson, type GetHostsRun } from './site.ts';

export const TIMER_SLACK_MS = 500;
export const TEST_CLIENT_ENV: Readonly<Record<string, string>> = { LDM_BALANCE_TIMEOUT_MS: '1500', LDM_BALANCE_MAX_RTT_MS: '0' };

export function assertDecided(run: GetHostsRun, allowed: readonly string[], label: string, slackMs = TIMER_SLACK_MS): GetHostsJson {
  assert.ok(run.json, `${label}: no JSON output (exit ${run.status}): ${run.stderr}`);
  const json = run.json;
  // A host was printed: chosen (ok), or the configured list because nobody answered (unavailable).
  assert.ok(([EXIT.ok, EXIT.unavailable] as number[]).includes(run.status ?? -1), `${label}: exit ${run.status}: ${run.stderr}`);
  assert.ok(json.hosts.length > 0, `${label}: no host printed`);
  assert.ok(allowed.includes(json.hosts[0]!), `${label}: chose ${json.hosts[0]} (${json.reason}), expected one of ${allowed.join(' ')}`);
  assert.ok(json.elapsedMs <= json.deadlineMs + slackMs, `${label}: decided in ${json.elapsedMs} ms, deadline ${json.deadlineMs} ms`);
  return json;
}

export function serverView(json: GetHostsJson, address: string): GetHostsJson['servers'][number] {
  const v = json.servers.find((s) => s.server === address || s.server.startsWith(`${address}:`));
  assert.ok(v, `${address} missing from the explanation: ${json.servers.map((s) => s.server).join(' ')}`);
  return v;
}

/**
 * Registers a site for a test file: built before the first test (a failed hook's error printed,
 * since uvu does not), torn down after the last, and a closing test that tears it down itself and
 * checks that no process and no namespace is left.
 */
export function useSite(suite: Test, hosts: readonly string[], setup: (site: LtspSite) => Promise<void>): () => LtspSite {
  let site: LtspSite | undefined;
  suite.before(async () => {
    try {
      site = await LtspSite.create({ hosts });
      Object.assign(site.clientDefaults, TEST_CLIENT_ENV);
      await setup(site);
    } catch (err) {
      console.error(err);
      throw err;
    }
  });
  suite.after(async () => {
    await site?.teardown();
  });
  return () => site!;
}

export function testTeardownLeavesNothing(suite: Test, getSite: () => LtspSite, servers: readonly string[]): void {
  suite('teardown leaves nothing running and no namespace behind', async () => {
    const site = getSite();
    const names = [site.fleet.switchNs, ...site.fleet.hosts.map((h) => h.ns)];
    const daemons = servers.map((h) => site.server(h)).filter((p) => p !== undefined);
    await site.teardown();
    for (const p of daemons) assert.is(p.running, false, p.label);
    assert.is(site.fleet.running.length, 0);
    const left = listFleetNamespaces();
    for (const n of names) assert.not.ok(left.includes(n), `${n} left behind`);
  });
}
