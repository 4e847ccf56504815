/**
 * The pool under a flood (issue 17): 5,000 authentications sent at once to the real daemon (local
 * backend, scrypt, as the quick start configures it; 4 s deadline), against an unflooded baseline
 * (a closed loop keeping twice the workers busy) of the same daemon in the same round. Reported per
 * configuration, over alternating rounds: p99 and max answer time seen by the client (from sending
 * the line to reading the answer) against the deadline, the answers by kind, workers killed at the
 * deadline, and successful auths/s during the flood (from the first request sent to the last one
 * served) against the baseline measured just before and just after it (aim: p99 <= deadline, ratio
 * >= 0.8). Also, per round, a sustained flood (1,000 auths/s offered for 8 s, see sustained()),
 * which shows the steady state rather than the one-shot burst's start.
 *
 * The daemon is the bundle `npm run build` ships, run as the unit runs it (`node BUNDLE serve`, no
 * Node flags; NODE_OPTIONS and NODE_EXTRA_CA_CERTS removed).
 *
 * Configurations: the default maxWorkers (the core count, for the CPU-bound local backend) and, with
 * WITH_16=1, --max-workers 16 (the old default). POOL_ROOT=/path/to/another/checkout bundles and runs
 * that checkout's daemon instead, to compare with an older version.
 *
 *   node --import tsx bench/winbind-pool/flood.ts [rounds]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PoolClient } from '../../winbind-pool/client.ts';
import { percentile } from '../lib/stats.ts';
import { table } from './bench.lib.ts';

const ROOT = process.env.POOL_ROOT ?? fileURLToPath(new URL('../..', import.meta.url));
// Inside that checkout, so that the bundle resolves koffi (external) from its node_modules.
const bundleDir = join(ROOT, `bench/winbind-pool/.bundle-flood-${process.pid}`);
mkdirSync(bundleDir, { recursive: true });
process.on('exit', () => rmSync(bundleDir, { recursive: true, force: true }));
const { bundleCommand } = (await import(join(ROOT, 'scripts/bundle.mjs'))) as { bundleCommand: (name: string, out: string) => Promise<string> };
const BIN = [await bundleCommand('ltsp-winbind-pool', join(bundleDir, 'ltsp-winbind-pool.mjs'))];
const ROUNDS = Number(process.argv[2] ?? 3);
/** Node flags for the daemon, e.g. POOL_NODE_FLAGS=--cpu-prof to profile it. */
const NODE_FLAGS = (process.env.POOL_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const DEADLINE_MS = 4000;
const FLOOD = 5000;
const CONNECTIONS = 250; // 20 requests each; the daemon's defaults cap 16 in flight per connection
const BASELINE_MS = 4000;
/** Not measured: lets the pool grow to its size first, as a pool that has been serving has. */
const WARM_UP_MS = 2000;
const PASSWORD = 'Bench-pw-1';

const dir = mkdtempSync(join(tmpdir(), 'wbp-flood-'));
const env = { ...process.env };
delete env.NODE_OPTIONS;
delete env.NODE_EXTRA_CA_CERTS;

const hash = spawnSync(process.execPath, [...BIN, 'hash-password'], { input: PASSWORD, cwd: ROOT, env, encoding: 'utf8' }).stdout.trim();
writeFileSync(join(dir, 'passwd'), `alice:${hash}:20001:100:Alice:/home/alice:/bin/bash\n`);

interface Running {
  proc: ChildProcess;
  socket: string;
  log: () => string;
}

let n = 0;
async function startDaemon(extra: string[]): Promise<Running> {
  const socket = join(dir, `p${++n}.sock`);
  const args = ['serve', '--socket', socket, '--backend', 'local', '--passwd-file', join(dir, 'passwd'), '--request-timeout-ms', String(DEADLINE_MS), '--min-workers', '2', ...extra];
  const proc = spawn(process.execPath, [...NODE_FLAGS, ...BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr!.on('data', (d) => (log += d));
  const until = Date.now() + 60_000;
  while (!log.includes('serving on')) {
    if (Date.now() > until || proc.exitCode !== null) throw new Error(`daemon did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { proc, socket, log: () => log };
}

async function stopDaemon(d: Running): Promise<void> {
  const gone = new Promise((r) => d.proc.once('exit', r));
  d.proc.kill('SIGTERM');
  await gone;
}

const auth = { op: 'auth', user: 'alice', password: PASSWORD } as const;

/** Successful auths per second with a closed loop of `lanes` requests in flight, after a warm-up. */
async function baseline(socket: string, lanes: number): Promise<number> {
  const clients = await Promise.all(Array.from({ length: lanes }, () => PoolClient.connect(socket)));
  let ok = 0;
  const start = performance.now();
  let t0 = Infinity;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() - start < WARM_UP_MS + BASELINE_MS) {
        const r = await c.request(auth, 60_000).then(() => true, () => false);
        const now = performance.now();
        if (now - start < WARM_UP_MS) continue;
        t0 = Math.min(t0, now);
        if (r) ok++;
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  for (const c of clients) c.close();
  return ok / s;
}

interface FloodResult {
  /** ms from the first request sent to the first and to the last successful answer. */
  firstOk: number;
  lastOk: number;
  ok: number;
  p99: number;
  max: number;
  okPerSec: number;
  kinds: Map<string, number>;
}

async function flood(socket: string): Promise<FloodResult> {
  const clients: (PoolClient | null)[] = await Promise.all(Array.from({ length: CONNECTIONS }, () => PoolClient.connect(socket).catch(() => null)));
  const latencies: number[] = [];
  const kinds = new Map<string, number>();
  let lastOk = 0;
  let firstOk = 0;
  let ok = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: FLOOD }, async (_, i) => {
      const c = clients[i % CONNECTIONS];
      const sent = performance.now();
      let kind = 'ok';
      try {
        if (!c) throw Object.assign(new Error('refused'), { code: 'CONNECT_REFUSED' });
        await c.request(auth, 60_000);
        ok++;
        lastOk = performance.now();
        firstOk ||= lastOk;
      } catch (err) {
        const e = err as { code?: string; reason?: string };
        kind = e.reason ? `${e.code}:${e.reason}` : String(e.code);
      }
      latencies.push(performance.now() - sent);
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }),
  );
  for (const c of clients) c?.close();
  return { firstOk: firstOk - t0, lastOk: lastOk - t0, ok, p99: percentile(latencies, 99), max: Math.max(...latencies), okPerSec: ok / ((lastOk - t0) / 1000 || 1), kinds };
}

/**
 * A sustained flood: SUSTAINED_RATE auths per second offered (open loop, round robin over the
 * connections, none sent on a connection already holding 16) for SUSTAINED_MS; successful answers
 * counted from SUSTAINED_WARM_MS on, when the queue has filled, so the figure is the steady state.
 */
const SUSTAINED_RATE = 1000;
const SUSTAINED_MS = 8000;
const SUSTAINED_WARM_MS = 2000;

async function sustained(socket: string): Promise<FloodResult> {
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => PoolClient.connect(socket)));
  const inFlight = new Array<number>(CONNECTIONS).fill(0);
  const latencies: number[] = [];
  const kinds = new Map<string, number>();
  const answers: Promise<void>[] = [];
  let ok = 0;
  let firstOk = 0;
  let lastOk = 0;
  let sent = 0;
  const t0 = performance.now();
  const send = async (c: number): Promise<void> => {
    inFlight[c]!++;
    const at = performance.now();
    let kind = 'ok';
    try {
      await clients[c]!.request(auth, 60_000);
      const now = performance.now() - t0;
      firstOk ||= now;
      lastOk = now;
      if (now >= SUSTAINED_WARM_MS && now < SUSTAINED_MS) ok++;
    } catch (err) {
      const e = err as { code?: string; reason?: string };
      kind = e.reason ? `${e.code}:${e.reason}` : String(e.code);
    }
    inFlight[c]!--;
    latencies.push(performance.now() - at);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  };
  for (let now = 0; now < SUSTAINED_MS; now = performance.now() - t0) {
    for (const due = Math.floor((now * SUSTAINED_RATE) / 1000); sent < due; sent++) {
      const c = sent % CONNECTIONS;
      if (inFlight[c]! < 16) answers.push(send(c));
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(answers);
  for (const c of clients) c.close();
  const okPerSec = ok / ((SUSTAINED_MS - SUSTAINED_WARM_MS) / 1000);
  return { firstOk, lastOk, ok, p99: percentile(latencies, 99), max: Math.max(...latencies), okPerSec, kinds };
}

const configs: [string, string[]][] = [['default --max-workers', []]];
if (process.env.WITH_16) configs.push(['--max-workers 16', ['--max-workers', '16']]);

const workersOf = new Map<string, number>();
interface Sample {
  p99: number;
  max: number;
  ratio: number;
  base: number;
  during: number;
  sustained: FloodResult;
  sustainedRatio: number;
  kills: number;
  load: number;
  kinds: Map<string, number>;
}
const samples = new Map<string, Sample[]>(configs.map(([label]) => [label, []]));

try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, extra] of round % 2 ? [...configs].reverse() : configs) {
      const d = await startDaemon(extra);
      const statusBefore = await statusOf(d.socket);
      workersOf.set(label, statusBefore.maxWorkers);
      // The baseline before and after the flood, averaged: the machine's other load drifts.
      const before = await baseline(d.socket, 2 * statusBefore.maxWorkers);
      const cpu0 = ownCpuMs(d.proc.pid!);
      const f = await flood(d.socket);
      const floodCpu = ownCpuMs(d.proc.pid!) - cpu0;
      const status = await statusOf(d.socket);
      const after = await baseline(d.socket, 2 * statusBefore.maxWorkers);
      const base = (before + after) / 2;
      const sf = await sustained(d.socket);
      const sustainedBase = (after + (await baseline(d.socket, 2 * statusBefore.maxWorkers))) / 2;
      const sustainedKills = (await statusOf(d.socket)).counters.deadlineKills ?? 0;
      await stopDaemon(d);
      samples.get(label)!.push({
        p99: f.p99,
        max: f.max,
        ratio: f.okPerSec / base,
        base,
        during: f.okPerSec,
        sustained: sf,
        sustainedRatio: sf.okPerSec / sustainedBase,
        kills: status.counters.deadlineKills ?? killedFromLog(d.log()),
        load: loadavg()[0]!,
        kinds: f.kinds,
      });
      process.stdout.write(
        `round ${round + 1} ${label}: p99 ${f.p99.toFixed(0)} ms, max ${f.max.toFixed(0)} ms, ${f.okPerSec.toFixed(1)}/s vs ${base.toFixed(1)}/s (${(f.okPerSec / base).toFixed(2)}; ${f.ok} ok from ${f.firstOk.toFixed(0)} to ${f.lastOk.toFixed(0)} ms; daemon CPU ${floodCpu} ms); ` +
          `sustained: ${sf.okPerSec.toFixed(1)}/s vs ${sustainedBase.toFixed(1)}/s (${(sf.okPerSec / sustainedBase).toFixed(2)}), p99 ${sf.p99.toFixed(0)} ms, max ${sf.max.toFixed(0)} ms, workers killed (both floods) ${sustainedKills}; load ${loadavg()[0]!.toFixed(1)}\n`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function statusOf(socket: string): Promise<{ maxWorkers: number; counters: { deadlineKills?: number } }> {
  const c = await PoolClient.connect(socket);
  try {
    return (await c.request({ op: 'status' }, 60_000)) as { maxWorkers: number; counters: { deadlineKills?: number } };
  } finally {
    c.close();
  }
}

/** CPU time of the daemon process itself (not its workers), from /proc, in ms (10 ms ticks). */
function ownCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** An older daemon has no deadlineKills counter: count its log lines instead. */
function killedFromLog(log: string): number {
  return (log.match(/exceeded the \d+ ms deadline/g) ?? []).length;
}

const range = (xs: number[], digits = 0): string => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
const rows: (string | number)[][] = [['configuration', 'workers', 'p99 ms', 'max ms', 'deadline', 'ok/s baseline', 'ok/s flood', 'flood / baseline', 'workers killed', 'load average']];
for (const [label, s] of samples) {
  rows.push([
    label,
    workersOf.get(label) ?? '?',
    range(s.map((x) => x.p99)),
    range(s.map((x) => x.max)),
    `${DEADLINE_MS}`,
    range(s.map((x) => x.base), 1),
    range(s.map((x) => x.during), 1),
    range(s.map((x) => x.ratio), 2),
    range(s.map((x) => x.kills)),
    range(s.map((x) => x.load), 1),
  ]);
}
process.stdout.write(`\n${FLOOD} auths at once over ${CONNECTIONS} connections, ${availableParallelism()} cores, ${ROUNDS} alternating rounds (min–max)${process.env.POOL_ROOT ? `, daemon from ${ROOT}` : ''}\n`);
process.stdout.write(table(rows) + '\n');
const srows: (string | number)[][] = [['configuration', 'p99 ms', 'max ms', 'ok/s sustained', 'sustained / baseline']];
for (const [label, s] of samples) {
  srows.push([label, range(s.map((x) => x.sustained.p99)), range(s.map((x) => x.sustained.max)), range(s.map((x) => x.sustained.okPerSec), 1), range(s.map((x) => x.sustainedRatio), 2)]);
}
process.stdout.write(`\nsustained flood: ${SUSTAINED_RATE} auths/s offered for ${SUSTAINED_MS / 1000} s over ${CONNECTIONS} connections, successes counted after ${SUSTAINED_WARM_MS / 1000} s; baseline: around it\n`);
process.stdout.write(table(srows) + '\n');
for (const [label, s] of samples) {
  const all = new Map<string, number>();
  for (const x of s) for (const [k, v] of x.kinds) all.set(k, (all.get(k) ?? 0) + v);
  process.stdout.write(`answers, ${label}, all rounds: ${[...all].map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  const sus = new Map<string, number>();
  for (const x of s) for (const [k, v] of x.sustained.kinds) sus.set(k, (sus.get(k) ?? 0) + v);
  process.stdout.write(`answers in the sustained floods, ${label}, all rounds: ${[...sus].map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
}
