/**
 * get_hosts (the shipped bundle) answering from the fresh cache the bridge writes, against
 * `node -e 0` (the floor for any Node program) and against get_hosts querying the fleet itself.
 * Runs are interleaved; wall time of the whole process, median and p90. Target: cache <= 1.3x node -e 0.
 * Usage: node --import tsx bench/greeter-bridge/get-hosts-cache.ts
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { writeSurveyCache } from '../../balance/cache-write.ts';
import { parseServerList } from '../../balance/servers.ts';
import { surveyServers } from '../../balance/probe/survey.ts';
import { BUSY, IDLE, startFleetServer, stopFleet } from '../../testing/greeter-bridge/fleet.ts';
import { bundleCommands, percentile, watchdog } from './bundle.lib.ts';

const RUNS = 25;
const stage = watchdog(100);
stage('bundling');
const bundle = bundleCommands();
stage('starting the fleet');
const fleet = [await startFleetServer('127.0.0.2', IDLE), await startFleetServer('127.0.0.3', BUSY), await startFleetServer('127.0.0.4', IDLE)];
const servers = fleet.map((s) => s.name).join(' ');
const cachePath = join(bundle.dir, 'survey.json');
// What `serve` writes after each poll: the same survey, the same writer.
writeSurveyCache(cachePath, await surveyServers(parseServerList(servers, 'bench'), { timeoutMs: 300 }), Date.now());

const getHosts = join(bundle.dir, 'get_hosts.js');
const env = (maxAgeMs: number): NodeJS.ProcessEnv => ({
  ...process.env,
  LDM_BALANCE_SERVERS: servers,
  LDM_BALANCE_CACHE: cachePath,
  LDM_BALANCE_CACHE_MAX_AGE_MS: String(maxAgeMs),
  LDM_BALANCE_DISCOVER: 'N',
});
const cases = [
  { name: 'node -e 0', args: ['-e', '0'], env: process.env },
  // A long max age keeps the one cache written above fresh for the whole run.
  { name: 'get_hosts, fresh cache', args: [getHosts], env: env(600_000) },
  { name: 'get_hosts, no cache (queries 3 servers)', args: [getHosts], env: env(0) },
];

/** Async, not spawnSync: the fleet answers from this process's event loop. */
function time(args: string[], environment: NodeJS.ProcessEnv): Promise<{ ms: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    execFile(process.execPath, args, { env: environment, encoding: 'utf8' }, (err, stdout, stderr) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (err && err.code !== 3) reject(new Error(`${args.join(' ')} failed: ${err.message} ${stderr}`));
      else resolve({ ms, stdout });
    });
  });
}

// The cache is really used: --json says where the reports came from.
const explained = JSON.parse((await time([getHosts, '--json'], env(600_000))).stdout) as { source?: string };
stage('timing');
const times: number[][] = cases.map(() => []);
const started = Date.now();
try {
  for (let i = 0; i < RUNS + 3 && Date.now() - started < 45_000; i++) {
    for (const [k, c] of cases.entries()) {
      const { ms, stdout } = await time(c.args, c.env);
      if (k > 0 && !/^127\.0\.0\.[24]\b/.test(stdout)) throw new Error(`unexpected get_hosts answer ${JSON.stringify(stdout)}`);
      if (i >= 3) times[k]!.push(ms); // the first runs warm the page cache
    }
  }
} finally {
  await stopFleet();
  bundle.remove();
}

const base = percentile(times[0]!, 50);
console.log(`get_hosts from the bridge's cache (source reported by get_hosts: ${explained.source ?? 'unknown'}); wall ms per process, ${times[0]!.length} runs each`);
console.log(`${'command'.padEnd(42)} ${'median'.padStart(8)} ${'p90'.padStart(8)} ${'x node -e 0'.padStart(12)}`);
cases.forEach((c, k) => {
  const med = percentile(times[k]!, 50);
  console.log(`${c.name.padEnd(42)} ${med.toFixed(1).padStart(8)} ${percentile(times[k]!, 90).toFixed(1).padStart(8)} ${(med / base).toFixed(2).padStart(12)}`);
});
const ratio = percentile(times[1]!, 50) / base;
console.log(`target fresh cache <= 1.3x node -e 0: ${ratio <= 1.3 ? 'met' : 'NOT met'} (${ratio.toFixed(2)}x)`);
process.exit(0);
