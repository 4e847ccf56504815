/**
 * The `serve` daemon's resident memory over a day of 30 s polls (2,880), simulated quickly: the
 * shipped bundle polls a loopback fleet of 3 servers every 10 ms, publishes every snapshot (nobody
 * reads, so each one replaces the last) and writes the get_hosts cache each time, while its choice
 * queue is swept. RSS is sampled from /proc as the polls go. Target: under 60 MB, and flat.
 * Node runs with the V8 flags of the systemd unit; GB_NODE_FLAGS="" measures plain node instead.
 * Usage: node --import tsx bench/greeter-bridge/serve-rss.ts
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBridgeStatus } from '../../greeter-bridge/lock.ts';
import { unlinkQueue } from '../../greeter-bridge/mq.ts';
import { IDLE, BUSY, startFleetServer, stopFleet } from '../../testing/greeter-bridge/fleet.ts';
import { bundleCommands, ROOT, watchdog } from './bundle.lib.ts';

const DAY_OF_POLLS = 2880;
/** The V8 flags the systemd unit starts the daemon with (its ExecStart line), so the figure is the shipped one. */
const unit = readFileSync(new URL('../../greeter-bridge/systemd/ltsp-greeter-bridge.service', import.meta.url), 'utf8');
const unitFlags = /^ExecStart=\S*node((?: --[\w-]+(?:=\S+)?)*) /m.exec(unit)?.[1]?.trim().split(' ') ?? [];
const nodeFlags = process.env.GB_NODE_FLAGS === undefined ? unitFlags : process.env.GB_NODE_FLAGS.split(' ').filter(Boolean);
const LIMIT_MS = 50_000;
const stage = watchdog(100);
stage('bundling');
const bundle = bundleCommands();
stage('starting the fleet');
const fleet = [await startFleetServer('127.0.0.2', IDLE), await startFleetServer('127.0.0.3', BUSY), await startFleetServer('127.0.0.4', IDLE)];
const queue = `/gb-bench-rss-${process.pid}`;
const child = spawn(
  process.execPath,
  [...nodeFlags, join(bundle.dir, 'ltsp-greeter-bridge.js'), 'serve', '--queue', queue, '--choice-queue', `${queue}-choice`,
    '--servers', fleet.map((s) => s.name).join(' '), '--interval', '0.01', '--cache', join(bundle.dir, 'survey.json'), '--remove-queues',
    // Small messages (3 servers fit easily): root's RLIMIT_MSGQUEUE is shared with everything else here.
    '--msgsize', '2048'],
  // The bundle keeps the native addon external; from a temp dir it is found through NODE_PATH.
  { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') } },
);
// Also on the watchdog's exit: a daemon polling every 10 ms must not outlive the bench.
process.on('exit', () => {
  child.kill('SIGKILL');
  for (const name of [queue, `${queue}-choice`]) unlinkQueue(name);
});
stage('polling');
let log = '';
child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));

const rssMb = (): number => Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${child.pid}/status`, 'latin1'))?.[1]) / 1024;
const samples: Array<{ polls: number; rss: number; heap: number; seconds: number }> = [];
const started = Date.now();
try {
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}:\n${log}`);
    const overtime = Date.now() - started > LIMIT_MS;
    if (overtime && samples.length === 0) throw new Error(`serve never answered status:\n${log}`);
    const status = await readBridgeStatus(queue).catch(() => undefined);
    if (!status) {
      if (overtime) break;
      continue;
    }
    const polls = Number(status.polls);
    samples.push({ polls, rss: rssMb(), heap: Number(status.heapUsedBytes) / 1048576, seconds: (Date.now() - started) / 1000 });
    if (polls >= DAY_OF_POLLS || Date.now() - started > LIMIT_MS) break;
  }
} finally {
  stage('stopping serve and the fleet');
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await new Promise((r) => child.once('close', r));
    clearTimeout(killer);
  }
  await stopFleet();
  bundle.remove();
}

const last = samples.at(-1)!;
const early = samples.find((s) => s.polls >= last.polls / 4) ?? samples[0]!;
console.log(`serve (bundle, node ${nodeFlags.join(' ') || 'without flags'}) polling 3 loopback servers every 10 ms; ${last.polls} polls in ${last.seconds.toFixed(0)} s`);
console.log(`${'polls'.padStart(6)} ${'RSS MB'.padStart(8)} ${'heap used'.padStart(11)}`);
const step = Math.max(1, Math.floor(samples.length / 10));
for (const s of samples.filter((_, i) => i % step === 0 || i === samples.length - 1)) console.log(`${String(s.polls).padStart(6)} ${s.rss.toFixed(1).padStart(8)} ${s.heap.toFixed(1).padStart(11)}`);
const peak = Math.max(...samples.map((s) => s.rss));
console.log(`peak ${peak.toFixed(1)} MB; growth from ${early.polls} to ${last.polls} polls: ${(last.rss - early.rss).toFixed(1)} MB`);
console.log(`target < 60 MB: ${peak < 60 ? 'met' : 'NOT met'}; ${last.polls >= DAY_OF_POLLS ? 'a full day simulated' : `only ${last.polls} polls within the time bound`}`);
if (/<3>/.test(log)) console.log(`errors logged by serve:\n${log.split('\n').filter((l) => l.startsWith('<3>')).slice(0, 5).join('\n')}`);
process.exit(0);
