/**
 * The time from LDM's `hostname` request to the greeter wrapper's answer (issue 11: under 50 ms
 * with a fresh bridge survey, within the survey deadline without one). This process plays LDM on
 * the wrapper's pipes (the CommonJS bundle the chroot gets), behind it a greeter that answers at
 * once (a shell loop: the floor any greeter costs), in front of it three live servers on loopback.
 *
 *   greeter alone          LDM -> the bare greeter, no wrapper: the floor
 *   fresh bridge cache     the survey cache written just before, the chosen server queried again
 *   no cache               the wrapper surveys the three servers itself
 *   no cache, one dead     the same with a fourth server whose daemon is dead (its port refuses TCP,
 *                          which the survey tries at 2/5 of the deadline; a host gone entirely costs
 *                          the whole deadline)
 *   fresh cache, one dead  the bridge found it dead already: nobody waits for it
 *
 * Each run starts a new wrapper (as LDM does per login), lets it settle (the user types for
 * seconds), then times one `hostname`. Cases interleaved; median, min and max of RUNS each.
 * Usage: node --import tsx bench/greeter-wrapper/hostname-answer.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSurveyCache } from '../../balance/cache-write.ts';
import { surveyServers } from '../../balance/probe/survey.ts';
import { parseServerList } from '../../balance/servers.ts';
import { bundleCommand } from '../../scripts/bundle.mjs';
import { randomSubnet } from '../../testing/get-hosts/fake-fleet.ts';
import { downAddress, IDLE, startFleetServer, stopFleet } from '../../testing/greeter-bridge/fleet.ts';
import { median } from '../lib/stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const SETTLE_MS = 600;
const dir = mkdtempSync(join(tmpdir(), 'bench-wrapper-'));
const watchdog = setTimeout(() => {
  process.stderr.write('watchdog: 180 s passed\n');
  process.exit(1);
}, 180_000);

const wrapper = join(dir, 'ltsp-balance-greeter');
await bundleCommand('ltsp-balance-greeter', wrapper, { format: 'cjs' });
const greeter = join(dir, 'greeter');
// Answers like ldmgtkgreet, at once: the first LDM_SERVER host, None for values, fixed credentials.
writeFileSync(greeter, `#!/bin/sh
while read -r cmd rest; do
  case "$cmd" in
    quit) exit 0 ;;
    hostname) echo "\${LDM_SERVER%% *}" ;;
    value|language|session) echo None ;;
    userid) echo alice ;;
    passwd) echo secret ;;
  esac
done
`, { mode: 0o755 });

const subnet = randomSubnet();
const fleet = [await startFleetServer(`${subnet}.2`, IDLE), await startFleetServer(`${subnet}.3`, IDLE), await startFleetServer(`${subnet}.4`, IDLE)];
const live = fleet.map((s) => s.name).join(' ');
const dead = await downAddress(`${subnet}.5`);
const cachePath = join(dir, 'survey.json');
writeSurveyCache(cachePath, await surveyServers(parseServerList(live, 'bench'), { timeoutMs: 300 }), Date.now());
// The bridge's survey that found the fourth server dead: the cache says Down, nobody waits for it.
const cacheWithDead = join(dir, 'survey-dead.json');
writeSurveyCache(cacheWithDead, await surveyServers(parseServerList(`${live} ${dead}`, 'bench'), { timeoutMs: 300 }), Date.now());

const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LDM_') && k !== 'NODE_OPTIONS' && k !== 'NODE_EXTRA_CA_CERTS' && k !== 'SERVER'));
const env = (servers: string, cache: string): NodeJS.ProcessEnv => ({
  ...base,
  LDM_SERVER: fleet.map((s) => s.host).join(' '),
  LDM_BALANCE_GREETER: greeter,
  LDM_BALANCE_SERVERS: servers,
  LDM_BALANCE_CACHE: cache,
  LDM_BALANCE_CACHE_MAX_AGE_MS: '600000',
  LDM_BALANCE_DISCOVER: 'N',
  LDM_BALANCE_BRIDGE_OUTPUT: join(dir, 'choice'),
});
const cases = [
  { name: 'greeter alone (floor)', command: greeter, env: env(live, cachePath) },
  { name: 'fresh bridge cache', command: wrapper, env: env(live, cachePath) },
  { name: 'no cache, 3 live', command: wrapper, env: env(live, join(dir, 'none.json')) },
  { name: 'no cache, 3 live + 1 dead', command: wrapper, env: env(`${live} ${dead}`, join(dir, 'none.json')) },
  { name: 'fresh cache, 3 live + 1 dead', command: wrapper, env: env(`${live} ${dead}`, cacheWithDead) },
];

/** One login up to `hostname`: returns the ms from writing `hostname` to reading the answer. */
function once(command: string, e: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [], { env: e, stdio: ['pipe', 'pipe', 'ignore'] });
    let buf = '';
    let step = 0;
    let t0 = 0;
    child.on('error', reject);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
        buf = buf.slice(nl + 1);
        if (step === 0) {
          step = 1; // the backend's value: the greeter is up; the user types for a while
          setTimeout(() => {
            t0 = performance.now();
            child.stdin.write('hostname\n');
          }, SETTLE_MS);
        } else if (step === 1) {
          step = 2;
          const ms = performance.now() - t0;
          child.stdin.write('quit\n');
          child.on('close', () => resolve(ms));
        }
      }
    });
    child.stdin.write('pref choice;backend;Authentication Backend;Select _Backend ...;session;ssh\nvalue backend\n');
  });
}

const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
for (let i = 0; i < RUNS; i++) {
  for (const c of cases) samples.get(c.name)!.push(await once(c.command, c.env));
}
const fmt = (v: number): string => v.toFixed(1).padStart(7);
process.stdout.write(`hostname request -> answer, ms (${RUNS} runs each, interleaved; survey deadline 300 ms)\n`);
process.stdout.write(`${'case'.padEnd(30)} ${'median'.padStart(7)} ${'min'.padStart(7)} ${'max'.padStart(7)}\n`);
for (const c of cases) {
  const s = samples.get(c.name)!;
  process.stdout.write(`${c.name.padEnd(30)} ${fmt(median(s))} ${fmt(Math.min(...s))} ${fmt(Math.max(...s))}\n`);
}
clearTimeout(watchdog);
await stopFleet();
rmSync(dir, { recursive: true, force: true });
