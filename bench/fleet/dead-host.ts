/**
 * How long a dead server stays a candidate for the thin client (target: never once it stopped
 * answering). The server that `best` would choose (app1, idle; the others busy) dies at t0, either
 * its daemon killed (the host still answers ICMP: port unreachable) or the whole host cut off the
 * bridge (silence). get_hosts then runs back to back on the client. Side by side: get_hosts
 * surveying by itself, and get_hosts reading the greeter bridge's survey cache (bridge polling
 * every 1 s, cache trusted for 5 s by default), which trades freshness for no network round trip.
 * Reported: runs started after t0 that still offered the dead server, and for how long.
 */
import { join } from 'node:path';
import { sleep } from '../../testing/helpers/wait.ts';
import { LtspSite, PROC_FIXTURES } from '../../testing/fleet/site.ts';
import { percentile, requireRootOrExit, table } from './stats.lib.ts';

requireRootOrExit('bench/fleet/dead-host.ts');
const TRIALS = 3;
const SERVERS = ['app1', 'app2', 'app3'];
const site = await LtspSite.create({ hosts: [...SERVERS, 'client'] });

interface Trial {
  offeredRuns: number;
  chosenRuns: number;
  /** From t0 to the end of the last run that still offered the dead server (0: none did). */
  candidateMs: number;
  runs: number;
  /** Runs that decided from the bridge's cache rather than their own survey. */
  cached: number;
}

async function trial(death: 'daemon killed' | 'host partitioned'): Promise<Trial> {
  const dead = site.address('app1');
  const list = site.serverList(SERVERS);
  const t0 = performance.now();
  if (death === 'daemon killed') site.killServer('app1');
  else await site.fleet.partition('app1');
  const result: Trial = { offeredRuns: 0, chosenRuns: 0, candidateMs: 0, runs: 0, cached: 0 };
  let clean = 0;
  while (clean < 5 && performance.now() - t0 < 15_000) {
    const r = await site.getHosts('client', ['--servers', list, '--algorithm', 'best', '--json']);
    result.runs++;
    if (r.json?.source === 'cache') result.cached++;
    if (r.json?.hosts.includes(dead)) {
      result.offeredRuns++;
      if (r.json.hosts[0] === dead) result.chosenRuns++;
      result.candidateMs = performance.now() - t0;
      clean = 0;
    } else clean++;
  }
  if (death === 'host partitioned') await site.fleet.heal('app1');
  await site.startServer('app1');
  return result;
}

try {
  await Promise.all([site.startServer('app1'), ...['app2', 'app3'].map((h) => site.startServer(h, { procfs: join(PROC_FIXTURES, 'busy') }))]);
  const rows: string[][] = [];
  for (const mode of ['survey', 'bridge cache'] as const) {
    const bridge = mode === 'bridge cache' ? await site.startBridge('client', SERVERS, 1) : undefined;
    for (const death of ['daemon killed', 'host partitioned'] as const) {
      const trials: Trial[] = [];
      for (let i = 0; i < TRIALS; i++) {
        await sleep(1500); // a fresh cache (and a settled ARP table) before each death
        trials.push(await trial(death));
      }
      rows.push([mode, death, String(trials.reduce((n, t) => n + t.runs, 0)), String(trials.reduce((n, t) => n + t.cached, 0)), String(Math.max(...trials.map((t) => t.offeredRuns))),
        String(Math.max(...trials.map((t) => t.chosenRuns))), percentile(trials.map((t) => t.candidateMs), 50).toFixed(0),
        Math.max(...trials.map((t) => t.candidateMs)).toFixed(0)]);
    }
    await bridge?.serve.stop();
  }
  process.stdout.write(`a dead server as a candidate: ${TRIALS} trials each, get_hosts --algorithm best run back to back after the death\n\n`);
  process.stdout.write(table(['reports from', 'death', 'runs', 'from cache', 'max runs offering it', 'max runs choosing it', 'p50 candidate ms', 'max candidate ms'], rows));
} finally {
  await site.teardown();
}
