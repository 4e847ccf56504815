/**
 * The decision against a live fleet, with the bundled get_hosts as LDM would run it:
 * - 30 live servers on loopback (127.x.y.1-30): time from get_hosts' start to its decision
 *   (`elapsedMs` in --json), and the wall time above the cold start with no server reachable.
 *   Target: decision at most 20 ms after start-up cost.
 * - 30 servers of which 5 are black holes (UDP silent, TCP accepted and never answered): the
 *   decision comes at the one overall deadline (300 ms), not after a per-server timeout times 5.
 * The fleet runs in its own process so that it does not share the measured client's event loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundleGetHosts, measure, median, randomSubnet, root, table } from './measure.lib.ts';

const ROUNDS = 12;

async function startFleet(subnet: string, live: number, dead: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench/get-hosts/fleet.lib.ts'), subnet, String(live), String(dead)], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`fleet exited with ${code}`)));
  });
  return child;
}

async function stopFleet(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin!.end();
  await exited;
}

const dir = await bundleGetHosts('esm');
const getHosts = join(dir, 'get_hosts.js');
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LDM_'))), LDM_BALANCE_CACHE: join(dir, 'none.json') };
const rows: Array<Record<string, string | number>> = [];
try {
  const subnet = randomSubnet();
  const servers = (n: number) => Array.from({ length: n }, (_, i) => `${subnet}.${i + 1}`).join(' ');
  const run = async (list: string, extra: string[] = []) => {
    const s = await measure(process.execPath, [getHosts, '--servers', list, '--json', ...extra], env);
    const doc = JSON.parse(s.stdout) as { elapsedMs: number; servers: Array<{ status: string }> };
    return { wall: s.wallMs, decision: doc.elapsedMs, down: doc.servers.filter((x) => x.status === 'Down').length };
  };

  const cold: number[] = [];
  for (let i = 0; i < ROUNDS; i++) cold.push((await measure(process.execPath, [getHosts, '--servers', `${randomSubnet()}.1`, '--timeout', '10'], env)).wallMs);
  rows.push({ case: 'cold start, nothing reachable (10 ms deadline)', 'decision ms': '-', 'wall ms': median(cold), 'wall - cold ms': 0, down: '-' });

  for (const [name, live, dead] of [['30 live servers', 30, 0], ['30 servers, 5 black holes', 25, 5]] as const) {
    const fleet = await startFleet(subnet, live, dead);
    try {
      const results = [];
      for (let i = 0; i < ROUNDS; i++) results.push(await run(servers(30)));
      rows.push({
        case: name,
        'decision ms': median(results.map((r) => r.decision)),
        'wall ms': median(results.map((r) => r.wall)),
        'wall - cold ms': median(results.map((r) => r.wall)) - median(cold),
        down: Math.max(...results.map((r) => r.down)),
      });
    } finally {
      await stopFleet(fleet);
    }
  }
  process.stdout.write(`${table(rows)}\n\n${ROUNDS} runs each (medians); default deadline 300 ms; node ${process.version}\n`);
  const live = rows[1]!;
  const dead = rows[2]!;
  process.stdout.write(`30 live: decided ${Number(live['decision ms']).toFixed(1)} ms after start-up (target <= 20 ms)\n`);
  process.stdout.write(`5 of 30 dead: decided at ${Number(dead['decision ms']).toFixed(1)} ms (deadline 300 ms; 5 sequential 300 ms timeouts would be 1500 ms)\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
