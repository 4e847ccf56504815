/** Helpers for the get-hosts benchmarks: timed child runs with peak RSS, medians, a table, a fleet in its own process. */
export { bundleGetHosts } from '../../testing/get-hosts/bundle.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { table as formatTable } from '../lib/table.ts';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
export { median } from '../lib/stats.ts';

export const root = new URL('../..', import.meta.url).pathname;
const GNU_TIME = '/usr/bin/time';

export interface Sample {
  wallMs: number;
  /** Peak resident set in KiB (GNU time), or NaN when /usr/bin/time is missing. */
  rssKb: number;
  stdout: string;
}

/** Runs a command once, wall time measured here, peak RSS by GNU time. */
export function measure(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Sample> {
  const haveTime = existsSync(GNU_TIME);
  const [cmd, argv] = haveTime ? [GNU_TIME, ['-f', '%M', command, ...args]] : [command, args];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', () => {
      const wallMs = performance.now() - started;
      const rss = haveTime ? Number(/(\d+)\s*$/.exec(stderr)?.[1]) : NaN;
      resolve({ wallMs, rssKb: rss, stdout });
    });
  });
}

/** Benchmarks of get_hosts print records with a rule under the header. */
export const table = (rows: Array<Record<string, string | number>>): string => formatTable(rows, { rule: true });

/** A random loopback /24 nobody else is likely to use at the same moment. */
export function randomSubnet(): string {
  return `127.${64 + Math.floor(Math.random() * 64)}.${Math.floor(Math.random() * 256)}`;
}

/** bench/get-hosts/fleet.lib.ts in its own process: LIVE servers on SUBNET.1.., then DEAD black holes. */
export async function startFleet(subnet: string, live: number, dead: number): Promise<ChildProcess> {
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

export async function stopFleet(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.stdin!.end();
  await exited;
}
