/**
 * The queue transport side by side with the one it replaced, in one run: this tree (libc mq_*
 * through koffi, kernel readiness) against GB_BASELINE_TREE, a checkout of the project from before
 * the change with its own node_modules (the posix-mq addon, 50 ms sweep). Without GB_BASELINE_TREE
 * only this tree is measured. Three figures:
 *  1. publish-to-receive latency of a 1.4 KB snapshot into a C `mq_receive` (receiver.c), blocks of
 *     each transport interleaved, and the same bytes over a Unix socket pair as the floor;
 *  2. idle: each tree's bundled `serve` (unit's V8 flags, one poll, then nothing to do but wait,
 *     its last snapshot unread in the queue) for IDLE_S seconds (default 60), all at once next to a
 *     bare `node` that only waits on a socket: CPU time, and context switches (every wake-up of a
 *     thread is one) from /proc/PID/task/TID/status;
 *  3. `serve` RSS over a simulated day (serve-day.lib.ts), RUNS alternating runs per tree (default 2).
 * Usage: GB_BASELINE_TREE=/path/to/old/checkout node --import tsx bench/greeter-bridge/transport-compare.ts
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readKernelLimits } from '../../greeter-bridge/limits.ts';
import { unlinkQueue } from '../../greeter-bridge/mq.ts';
import { BUSY, IDLE, startFleetServer, stopFleet } from '../../testing/greeter-bridge/fleet.ts';
import { percentile, ROOT, watchdog } from './bundle.lib.ts';
import { compileReceiver, payload, framed, receiver as spawnReceiver } from './receiver.lib.ts';
import { daySummary, simulateDay, unitNodeFlags } from './serve-day.lib.ts';

const BASELINE = process.env.GB_BASELINE_TREE;
const IDLE_S = Number(process.env.IDLE_S ?? 60);
const RUNS = Number(process.env.RUNS ?? 2);

/** The commands of the tree at `root` bundled by its own scripts/bundle.mjs into a temp dir. */
function bundleTree(root: string): { dir: string; remove(): void } {
  const out = mkdtempSync(join(tmpdir(), 'gb-compare-bundle-'));
  writeFileSync(join(out, 'package.json'), '{"type":"module"}\n');
  const r = spawnSync(process.execPath, [join(root, 'scripts/bundle.mjs'), out], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${root}scripts/bundle.mjs failed:\n${r.stdout}${r.stderr}`);
  return { dir: out, remove: () => rmSync(out, { recursive: true, force: true }) };
}

interface Tree {
  label: string;
  root: string;
}
const trees: Tree[] = [{ label: 'koffi (this tree)', root: ROOT }];
if (BASELINE) trees.push({ label: 'posix-mq addon (baseline)', root: BASELINE.endsWith('/') ? BASELINE : `${BASELINE}/` });
const stage = watchdog(120 + 15 + IDLE_S + RUNS * trees.length * 75);
const limits = readKernelLimits();
const size = { maxMessages: Math.min(10, limits.msgMax), messageSize: Math.min(8192, limits.msgsizeMax) };
const dir = mkdtempSync(join(tmpdir(), 'gb-compare-'));
const cleanups: Array<() => void> = [() => rmSync(dir, { recursive: true, force: true })];
process.on('exit', () => {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      c();
    } catch {
      // best effort at exit
    }
  }
});

// ---- 1. latency ----------------------------------------------------------------------------------
stage('compiling the receiver');
const receiverBin = compileReceiver(dir);

function receiver(args: string[], stdio: Array<'pipe' | 'ignore' | 'inherit'>): ReturnType<typeof spawnReceiver> {
  const r = spawnReceiver(receiverBin, args, stdio);
  cleanups.push(() => r.child.kill('SIGKILL'));
  return r;
}

interface Path {
  label: string;
  send(): void;
  next(): Promise<number>;
  us: number[];
}
const paths: Path[] = [];
for (const [i, tree] of trees.entries()) {
  // Each tree's own modules: the baseline's transport loads its own posix-mq.
  const ensure = (await import(join(tree.root, 'greeter-bridge/ensure.ts'))) as typeof import('../../greeter-bridge/ensure.ts');
  const transport = (await import(join(tree.root, 'greeter-bridge/transport.ts'))) as typeof import('../../greeter-bridge/transport.ts');
  const queue = `/gb-compare-${process.pid}-${i}`;
  ensure.ensureQueue({ name: queue, size, mode: 0o600 }, limits);
  cleanups.push(() => unlinkQueue(queue));
  const r = receiver(['mq', queue], ['ignore', 'pipe', 'inherit']);
  paths.push({ label: `${tree.label}: publishLatest -> mq_receive`, send: () => void transport.publishLatest(queue, [framed()]), next: r.next, us: [] });
}
{
  const r = receiver(['fd'], ['ignore', 'pipe', 'inherit', 'pipe']);
  const end = r.child.stdio[3] as Socket;
  paths.push({ label: 'Unix socket pair: write -> read (floor)', send: () => void end.write(framed()), next: r.next, us: [] });
}
stage('measuring latency');
const round = async (p: Path, keep: boolean): Promise<void> => {
  const got = p.next();
  p.send();
  const ns = await got;
  if (keep) p.us.push(ns / 1000);
};
for (let i = 0; i < 100; i++) for (const p of paths) await round(p, false);
const latencyStart = Date.now();
for (let block = 0; block < 20 && Date.now() - latencyStart < 40_000; block++) {
  for (const p of paths) for (let i = 0; i < 100; i++) await round(p, true);
}

const f1 = (x: number): string => x.toFixed(1);
console.log(`1. publish-to-receive, ${payload.length}-byte snapshot, µs (n, p50, p99, max)`);
for (const p of paths) console.log(`   ${p.label.padEnd(58)} ${String(p.us.length).padStart(5)} ${f1(percentile(p.us, 50)).padStart(7)} ${f1(percentile(p.us, 99)).padStart(7)} ${Math.max(...p.us).toFixed(0).padStart(7)}`);
if (paths.length === 3) {
  console.log(`   koffi/addon: p50 ${(percentile(paths[0]!.us, 50) / percentile(paths[1]!.us, 50)).toFixed(2)}, p99 ${(percentile(paths[0]!.us, 99) / percentile(paths[1]!.us, 99)).toFixed(2)}`);
}

// ---- 2. idle -------------------------------------------------------------------------------------
stage('bundling');
const nodeFlags = unitNodeFlags();
const bundles = trees.map((t) => ({ tree: t, bundle: bundleTree(t.root) }));
for (const b of bundles) cleanups.push(() => b.bundle.remove());
stage('starting the fleet');
const fleet = [await startFleetServer('127.0.0.2', IDLE), await startFleetServer('127.0.0.3', BUSY), await startFleetServer('127.0.0.4', IDLE)];
const servers = fleet.map((s) => s.name).join(' ');

interface Usage {
  cpuMs: number;
  switches: number;
  mainSwitches: number;
}
const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
function usage(pid: number): Usage {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuMs = (Number(f[11]) + Number(f[12])) * TICK_MS; // utime + stime, all threads
  let switches = 0;
  let mainSwitches = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let n = 0;
    try {
      const s = readFileSync(`/proc/${pid}/task/${tid}/status`, 'latin1');
      n = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(s)?.[1]) + Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(s)?.[1]);
    } catch {
      continue; // thread ended
    }
    switches += n;
    if (tid === String(pid)) mainSwitches = n;
  }
  return { cpuMs, switches, mainSwitches };
}

interface Idler {
  label: string;
  child: ChildProcess;
  before?: Usage;
  /** How it ended, when it ended before the measurement did (the addon's crash at start). */
  died?: string;
}
const idlers: Idler[] = [];
const waitForLine = (child: ChildProcess, re: RegExp): Promise<void> =>
  new Promise((resolve, reject) => {
    let text = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      text += d;
      if (re.test(text)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before ${re}:\n${text}`)));
  });
for (const [i, { tree, bundle }] of bundles.entries()) {
  const queue = `/gb-compare-idle-${process.pid}-${i}`;
  const child = spawn(process.execPath, [...nodeFlags, join(bundle.dir, 'ltsp-greeter-bridge.js'), 'serve', '--queue', queue,
    '--choice-queue', `${queue}-choice`, '--servers', servers, '--interval', '3600', '--no-cache', '--remove-queues', '--msgsize', '2048'],
  { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_PATH: join(tree.root, 'node_modules') } });
  cleanups.push(() => {
    child.kill('SIGKILL');
    unlinkQueue(queue);
    unlinkQueue(`${queue}-choice`);
  });
  await waitForLine(child, /serving /);
  const idler: Idler = { label: `${tree.label}: serve, idle`, child };
  child.once('exit', (code, signal) => (idler.died ??= signal ? `killed by ${signal}` : `exited ${code}`));
  idlers.push(idler);
}
{
  const child = spawn(process.execPath, [...nodeFlags, '-e', "require('net').createServer().listen(0, '127.0.0.1'); console.error('serving ')"], { stdio: ['ignore', 'ignore', 'pipe'] });
  cleanups.push(() => child.kill('SIGKILL'));
  await waitForLine(child, /serving /);
  idlers.push({ label: 'bare node waiting on a socket (floor)', child });
}
stage(`idling ${IDLE_S} s`);
// The first poll, start-up compilation and V8's memory reducer (delayed GC tasks ~8 s after the last GC) settle.
await new Promise((r) => setTimeout(r, 15_000));
const alive = (i: Idler): boolean => i.died === undefined;
for (const i of idlers.filter(alive)) i.before = usage(i.child.pid!);
await new Promise((r) => setTimeout(r, IDLE_S * 1000));
const idle = idlers.map((i) => {
  if (!alive(i) || !i.before) return { label: `${i.label} (${i.died ?? 'died'} before the end)`, cpuMs: NaN, switches: NaN, main: NaN };
  const after = usage(i.child.pid!);
  return { label: i.label, cpuMs: after.cpuMs - i.before.cpuMs, switches: after.switches - i.before.switches, main: after.mainSwitches - i.before.mainSwitches };
});
for (const i of idlers) i.died ??= 'stopped';
for (const i of idlers) i.child.kill('SIGTERM');
console.log(`2. idle over ${IDLE_S} s (unit's flags ${nodeFlags.join(' ')}): CPU ms, context switches all threads, main thread (= event-loop wake-ups)`);
for (const i of idle) console.log(`   ${i.label.padEnd(58)} ${f1(i.cpuMs).padStart(7)} ${String(i.switches).padStart(7)} ${String(i.main).padStart(7)}`);
console.log(`3. serve RSS over a simulated day (${RUNS} runs each, alternating): MB at start / peak / end, growth over the last 3/4, polls`);

// ---- 3. RSS over a simulated day -----------------------------------------------------------------
for (let run = 0; run < RUNS; run++) {
  for (const [i, { tree, bundle }] of bundles.entries()) {
    stage(`simulating a day (${tree.label}, run ${run + 1})`);
    const r = await simulateDay({ bundleDir: bundle.dir, nodePath: join(tree.root, 'node_modules'), nodeFlags, servers, limitMs: 50_000, tag: `${run}-${i}` });
    const s = daySummary(r);
    console.log(`   ${tree.label.padEnd(58)} ${f1(s.start).padStart(6)} ${f1(s.peak).padStart(6)} ${f1(s.end).padStart(6)} ${(s.growth >= 0 ? '+' : '') + f1(s.growth)} ${s.polls}${r.signal ? ` KILLED BY ${r.signal}` : ''}${r.errors.length ? ` (${r.errors.length} error lines: ${r.errors[0]})` : ''}`);
  }
}
await stopFleet();
process.exit(0);
