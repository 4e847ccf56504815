/**
 * What the pool adds to each request (issue 14: at most 1.3x a bare Node IPC echo in the same run).
 *
 * - pool: the shipped daemon, bundled as `npm run build` bundles it and run the way the unit runs it
 *   (`node BUNDLE serve`, default settings, no Node flags), with the local backend answering `ping`
 *   (a stat of its passwd file, no scrypt: the call itself costs next to nothing).
 * - bare: bench/winbind-pool/bare-echo.mjs, the same shape with nothing else: Unix socket, JSON
 *   lines, a dispatcher handing each request to an idle child over Node's IPC (JSON serialization),
 *   the answer written back. The same number of children as the pool's maxWorkers.
 *
 * One load generator (this process, raw sockets) drives both. Per round and per side:
 * - latency: LAT_N requests one at a time on one connection, p50 and p99 of each request's time;
 * - throughput: TP_N requests with CONNS connections x DEPTH in flight (closed loop), requests/s, and
 *   the server side's CPU per request (daemon + workers, or dispatcher + children, from /proc, reaped
 *   workers included through cutime).
 * Rounds alternate which side goes first; NODE_OPTIONS and NODE_EXTRA_CA_CERTS are removed from both.
 * Printed: medians over the rounds with min and max, and the per-round pool/bare ratios.
 *
 *   node --import tsx bench/winbind-pool/overhead.ts [rounds]
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, percentile } from '../lib/stats.ts';
import { table } from '../lib/table.ts';

const ROUNDS = Number(process.argv[2] ?? 15);
const LAT_N = 2000;
const TP_N = 8000;
const CONNS = 8;
const DEPTH = 4; // under the daemon's 16 in flight per connection
const WORKERS = availableParallelism();
/** Extra `serve` options, to compare settings (POOL_ARGS='--max-requests 0'); none by default. */
const EXTRA = (process.env.POOL_ARGS ?? '').split(' ').filter(Boolean);
/** Node flags for the daemon and the bare dispatcher, e.g. POOL_NODE_FLAGS=--cpu-prof to profile them. */
const NODE_FLAGS = (process.env.POOL_NODE_FLAGS ?? '').split(' ').filter(Boolean); // the pool's default maxWorkers for the local backend

const here = fileURLToPath(new URL('.', import.meta.url));
/** POOL_ROOT=/path/to/another/checkout: bundle and measure that checkout's daemon (an older version). */
const root = process.env.POOL_ROOT ?? fileURLToPath(new URL('../..', import.meta.url));
const { bundleCommand } = (await import(join(root, 'scripts/bundle.mjs'))) as { bundleCommand: (name: string, out: string) => Promise<string> };
const tmp = mkdtempSync(join(tmpdir(), 'wbp-overhead-'));
// The bundle lives inside the checkout so that it resolves koffi (external) from node_modules, as
// the installed one does from its own.
const bundleDir = join(root, `bench/winbind-pool/.bundle-${process.pid}`);
mkdirSync(bundleDir);
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
  rmSync(bundleDir, { recursive: true, force: true });
});
const env = { ...process.env };
delete env.NODE_OPTIONS;
delete env.NODE_EXTRA_CA_CERTS;

const bundle = await bundleCommand('ltsp-winbind-pool', join(bundleDir, 'ltsp-winbind-pool.mjs'));
const hash = spawnSync(process.execPath, [bundle, 'hash-password'], { input: 'pw', env, encoding: 'utf8' }).stdout.trim();
writeFileSync(join(tmp, 'passwd'), `alice:${hash}:20001:100:Alice:/home/alice:/bin/bash\n`, { mode: 0o600 });

function start(args: string[], ready: RegExp, stream: 'stdout' | 'stderr'): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', stream === 'stdout' ? 'pipe' : 'ignore', stream === 'stderr' ? 'pipe' : 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child[stream]!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (ready.test(out)) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${out}`)));
  });
}

const poolSocket = join(tmp, 'pool.sock');
const bareSocket = join(tmp, 'bare.sock');
const pool = await start([...NODE_FLAGS, bundle, 'serve', '--socket', poolSocket, '--backend', 'local', '--passwd-file', join(tmp, 'passwd'), ...EXTRA], /serving on/, 'stderr');
const bare = await start([...NODE_FLAGS, join(here, 'bare-echo.mjs'), bareSocket, String(WORKERS)], /ready/, 'stdout');

/** A connection that sends `{"id":N,"op":"ping"}` lines and counts `"ok":true` answers. */
class Conn {
  private rest = '';
  private waiters: ((ok: boolean) => void)[] = [];
  private id = 0;
  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      const lines = (this.rest + text).split('\n');
      this.rest = lines.pop()!;
      for (const line of lines) this.waiters.shift()!(line.includes('"ok":true'));
    });
  }
  static open(path: string): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = connect(path, () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }
  /** Answers come back in order on one connection for both servers (one request at a time per worker is not assumed: DEPTH waiters are matched FIFO only for counting). */
  ping(): Promise<boolean> {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.socket.write(`{"id":${++this.id},"op":"ping"}\n`);
    });
  }
  close(): void {
    this.socket.destroy();
  }
}

/** utime+stime of the process and its live children, plus cutime+cstime (children it reaped), in ticks. */
function cpuTicks(pid: number): number {
  const fields = (p: number | string): string[] => {
    const s = readFileSync(`/proc/${p}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
  };
  const own = fields(pid);
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const f = fields(name);
      if (Number(f[1]) === pid) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks;
}
const TICK_S = 1 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

interface Sample {
  p50: number;
  p99: number;
  perSec: number;
  cpuUs: number;
}

async function measure(path: string, pid: number): Promise<Sample> {
  const one = await Conn.open(path);
  const lat: number[] = [];
  for (let i = 0; i < LAT_N; i++) {
    const t0 = performance.now();
    if (!(await one.ping())) throw new Error(`a ping failed on ${path}`);
    lat.push((performance.now() - t0) * 1000);
  }
  one.close();
  const conns = await Promise.all(Array.from({ length: CONNS }, () => Conn.open(path)));
  let sent = 0;
  let failed = 0;
  const cpu0 = cpuTicks(pid);
  const t0 = performance.now();
  await Promise.all(
    conns.flatMap((c) =>
      Array.from({ length: DEPTH }, async () => {
        while (sent < TP_N) {
          sent++;
          if (!(await c.ping())) failed++;
        }
      }),
    ),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (cpuTicks(pid) - cpu0) * TICK_S;
  for (const c of conns) c.close();
  if (failed) throw new Error(`${failed} pings failed on ${path}`);
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), perSec: TP_N / seconds, cpuUs: (cpu / TP_N) * 1e6 };
}

const sides = { pool: { path: poolSocket, pid: pool.pid! }, bare: { path: bareSocket, pid: bare.pid! } };
// Warm-up (JIT, the pool growing to its workers), not measured.
for (const s of Object.values(sides)) await measure(s.path, s.pid);
const samples: Record<'pool' | 'bare', Sample[]> = { pool: [], bare: [] };
const load0 = loadavg()[0]!;
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 ? (['bare', 'pool'] as const) : (['pool', 'bare'] as const);
  for (const name of order) samples[name].push(await measure(sides[name].path, sides[name].pid));
}
const load1 = loadavg()[0]!;

const stat = (xs: number[], digits: number): string => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
const ratios = (f: (s: Sample) => number): number[] => samples.pool.map((p, i) => f(p) / f(samples.bare[i]!));
const row = (label: string, f: (s: Sample) => number, digits: number): string[] => [
  label,
  stat(samples.pool.map(f), digits),
  stat(samples.bare.map(f), digits),
  stat(ratios(f), 2),
];
console.log(
  `${process.env.POOL_ROOT ? `daemon from ${root}; ` : ''}ping on the local backend; ${ROUNDS} alternating rounds, medians (min–max); ${WORKERS} workers / children; ` +
    `latency: ${LAT_N} one at a time; throughput: ${TP_N} with ${CONNS}x${DEPTH} in flight; load average ${load0.toFixed(1)} -> ${load1.toFixed(1)}; ` +
    'NODE_OPTIONS and NODE_EXTRA_CA_CERTS removed',
);
console.log(
  table([
    ['per request', 'pool (bundle, as the unit runs it)', 'bare Node IPC echo', 'pool / bare (per round)'],
    row('latency p50 (us)', (s) => s.p50, 1),
    row('latency p99 (us)', (s) => s.p99, 1),
    row('CPU, server side (us)', (s) => s.cpuUs, 1),
    [...row('throughput (req/s)', (s) => s.perSec, 0).slice(0, 3), stat(ratios((s) => 1 / s.perSec), 2) + ' (time per request)'],
  ]),
);
console.log('target: pool / bare at most 1.3 for the time per request (latency p50 and throughput)');
// SIGTERM: the daemon drains and exits (and writes its profile when run with --cpu-prof).
await Promise.all([pool, bare].map((c) => new Promise((resolve) => (c.once('exit', resolve), c.kill('SIGTERM')))));
process.exit(0);
