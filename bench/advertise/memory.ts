/**
 * Resident memory of the advertise daemon around a TCP flood (issue 17): at rest, at the peak of the
 * flood, and after it (at once, and once it has been quiet for QUIET_S seconds). The flood: 64 source
 * addresses (127.2.0.x) each holding 32 connections it never reads or closes (2,048 against the
 * default max_connections of 1,024 and max_connections_per_source of 32), while 32 loops (the C
 * generator, loadgen.c) connect,
 * read the document and reconnect as fast as they can, for FLOOD_S seconds. The daemon runs as
 * shipped: the esbuild bundle, default settings, with the Node flags of the unit's ExecStart (read
 * from advertise/systemd/advertise.service) and, for comparison, without them. Several rounds on one
 * daemon, so what a flood leaves behind would add up; a bare Node process (`node -e` waiting) is the
 * floor. The shipped unit's MemoryMax must stay at least 2x the worst figure.
 *
 *   node --import tsx bench/advertise/memory.ts [rounds]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanEnv, rssMb } from '../lib/proc.ts';
import { bundleDaemon, startBundledDaemon, unitNodeFlags } from './daemon.lib.ts';
import { compileC, measure } from './load.lib.ts';

const ROUNDS = Number(process.argv[2] ?? 3);
const FLOOD_S = 6;
const QUIET_S = 10;
const SOURCES = 64;
const HELD_PER_SOURCE = 32;
const CHURN_LOOPS = 32;

const tmp = mkdtempSync(join(tmpdir(), 'ltsp-bench-adv-mem-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

const daemonJs = await bundleDaemon(tmp);
const loadgen = compileC('loadgen', tmp);
const unitFlags = unitNodeFlags();
const bare = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', env: cleanEnv() });
children.push(bare);
let port = 0;

async function startDaemon(flags: string[]): Promise<ChildProcess> {
  const daemon = await startBundledDaemon(daemonJs, tmp, `s${children.length}`, { nodeFlags: flags });
  children.push(daemon.child);
  port = daemon.port;
  return daemon.child;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Opens connections from `from` that are never read; re-opens what the daemon closes, until stop. */
function hold(from: string, count: number, held: Set<Socket>, stopped: () => boolean): void {
  const one = (): void => {
    if (stopped()) return;
    const s = connect({ port, host: '127.0.0.1', localAddress: from });
    s.pause();
    held.add(s);
    s.on('error', () => {});
    s.on('close', () => {
      held.delete(s);
      if (!stopped()) setTimeout(one, 10);
    });
  };
  for (let i = 0; i < count; i++) one();
}

const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
const report: string[] = [];
for (const [label, flags] of [[`unit flags (${unitFlags.join(' ') || 'none'})`, unitFlags], ['no flags', []]] as [string, string[]][]) {
  const child = await startDaemon(flags);
  await sleep(2000);
  const atStart = rssMb(child.pid!);
  const rounds: { peak: number; after: number; quiet: number; served: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let stop = false;
    const held = new Set<Socket>();
    for (let i = 0; i < SOURCES; i++) hold(`127.2.0.${i + 1}`, HELD_PER_SOURCE, held, () => stop);
    // Any bytes before the close count as an answer (1): a refused connection closes with none.
    const churn = measure(loadgen, { child, port }, { proto: 'tcp', clients: CHURN_LOOPS, documentBytes: 1 }, FLOOD_S).then((s) => s.answers / s.wallS);
    let peak = 0;
    const until = performance.now() + FLOOD_S * 1000;
    while (performance.now() < until) {
      peak = Math.max(peak, rssMb(child.pid!));
      await sleep(100);
    }
    stop = true;
    const served = Math.round(await churn);
    for (const s of held) s.destroy();
    await sleep(500);
    const after = rssMb(child.pid!);
    await sleep(QUIET_S * 1000);
    const quiet = rssMb(child.pid!);
    rounds.push({ peak, after, quiet, served });
    process.stdout.write(`${label} round ${round + 1}: peak ${peak.toFixed(1)} MB, right after ${after.toFixed(1)} MB, after ${QUIET_S} s quiet ${quiet.toFixed(1)} MB (reconnect loops: ${served} answers/s)\n`);
  }
  child.kill('SIGKILL');
  report.push(
    [label.padEnd(34), atStart.toFixed(1).padStart(8), range(rounds.map((r) => r.peak)).padStart(12), range(rounds.map((r) => r.after)).padStart(12), range(rounds.map((r) => r.quiet)).padStart(12)].join('  '),
  );
}
process.stdout.write(
  `\nadvertise RSS MB, ${ROUNDS} TCP floods of ${FLOOD_S} s each (${SOURCES} sources x ${HELD_PER_SOURCE} held + ${CHURN_LOOPS} reconnect loops), min–max; node ${process.version}\n` +
    `${'daemon'.padEnd(34)}  ${'at rest'.padStart(8)}  ${'flood peak'.padStart(12)}  ${'right after'.padStart(12)}  ${`${QUIET_S} s quiet`.padStart(12)}\n` +
    report.join('\n') +
    `\nbare node (floor): ${rssMb(bare.pid!).toFixed(1)}\n`,
);
process.exit(0);
