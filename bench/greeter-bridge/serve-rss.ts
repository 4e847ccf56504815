/**
 * The `serve` daemon's resident memory over a simulated day of 30 s polls (serve-day.lib.ts).
 * Target: under 50 MB, and flat. Node runs with the V8 flags of the systemd unit; GB_NODE_FLAGS=""
 * measures plain node instead.
 * Usage: node --import tsx bench/greeter-bridge/serve-rss.ts
 */
import { join } from 'node:path';
import { IDLE, BUSY, startFleetServer, stopFleet } from '../../testing/greeter-bridge/fleet.ts';
import { bundleCommands, ROOT, watchdog } from './bundle.lib.ts';
import { DAY_OF_POLLS, daySummary, simulateDay, unitNodeFlags } from './serve-day.lib.ts';

const nodeFlags = process.env.GB_NODE_FLAGS === undefined ? unitNodeFlags() : process.env.GB_NODE_FLAGS.split(' ').filter(Boolean);
const stage = watchdog(100);
stage('bundling');
const bundle = bundleCommands();
stage('starting the fleet');
const fleet = [await startFleetServer('127.0.0.2', IDLE), await startFleetServer('127.0.0.3', BUSY), await startFleetServer('127.0.0.4', IDLE)];
stage('polling');
let run;
try {
  run = await simulateDay({ bundleDir: bundle.dir, nodePath: join(ROOT, 'node_modules'), nodeFlags, servers: fleet.map((s) => s.name).join(' '), limitMs: 50_000, tag: 'rss' });
} finally {
  stage('stopping the fleet');
  await stopFleet();
  bundle.remove();
}
const sum = daySummary(run);
const last = run.samples.at(-1)!;
console.log(`serve (bundle, node ${nodeFlags.join(' ') || 'without flags'}) polling 3 loopback servers every 10 ms; ${last.polls} polls in ${last.seconds.toFixed(0)} s`);
console.log(`${'polls'.padStart(6)} ${'RSS MB'.padStart(8)} ${'heap used'.padStart(11)}`);
const step = Math.max(1, Math.floor(run.samples.length / 10));
for (const s of run.samples.filter((_, i) => i % step === 0 || i === run.samples.length - 1)) console.log(`${String(s.polls).padStart(6)} ${s.rss.toFixed(1).padStart(8)} ${s.heap.toFixed(1).padStart(11)}`);
console.log(`start ${sum.start.toFixed(1)} MB, peak ${sum.peak.toFixed(1)} MB; growth over the last three quarters: ${sum.growth.toFixed(1)} MB`);
console.log(`target < 50 MB: ${sum.peak < 50 ? 'met' : 'NOT met'}; ${sum.polls >= DAY_OF_POLLS ? 'a full day simulated' : `only ${sum.polls} polls within the time bound`}`);
if (run.signal) console.log(`serve was killed by ${run.signal}`);
if (run.errors.length) console.log(`errors logged by serve:\n${run.errors.slice(0, 5).join('\n')}`);
process.exit(0);
