/**
 * Runs the real bridge (`node --import tsx bin/ltsp-greeter-bridge.ts ...`) and other processes for
 * the tests, on queue names unique to this test process. Everything started or created here (child
 * processes, queues, temp dirs) is removed when the test process exits, also after a failed
 * assertion; `cleanup()` does it earlier for `test.after`.
 */
import type { SpawnOptions } from 'node:child_process';
import { startProcess, stopAllProcesses, type Proc } from '../helpers/process.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unlinkQueue } from '../../greeter-bridge/mq.ts';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const BIN = join(ROOT, 'bin/ltsp-greeter-bridge.ts');

const queues = new Set<string>();
const dirs = new Set<string>();

function removeAll(): void {
  for (const q of queues) {
    try {
      unlinkQueue(q);
    } catch {
      // gone already, or never created
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
process.on('exit', removeAll);

export async function cleanup(): Promise<void> {
  await stopAllProcesses('SIGKILL');
  removeAll();
}

let counter = 0;
/** A snapshot queue and a choice queue nobody else uses. */
export function uniqueQueues(tag = 'q'): { queue: string; choiceQueue: string } {
  const base = `/gbt-${process.pid}-${tag}-${++counter}`;
  const pair = { queue: `${base}-servers`, choiceQueue: `${base}-choice` };
  queues.add(pair.queue).add(pair.choiceQueue);
  return pair;
}

/** Registers a queue created directly by a test for removal at exit. */
export function trackQueue(name: string): string {
  queues.add(name);
  return name;
}

export function tempDir(prefix = 'ltsp-gb-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

export type { Proc } from '../helpers/process.ts';

/** A process started for a bridge test (killed at exit like everything here). */
export function start(command: string, args: string[], options: SpawnOptions = {}): Proc {
  return startProcess(command, args, { cwd: ROOT, ...options });
}

/** The bridge CLI through tsx, as the tests run every bin. */
export function bridge(args: string[], options: SpawnOptions = {}): Proc {
  return start(process.execPath, ['--import', 'tsx', BIN, ...args], options);
}

/** Runs the bridge CLI to completion: exit code and output. */
export async function bridgeRun(args: string[], options: SpawnOptions = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = bridge(args, options);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** `serve` on the given queues and servers, waiting until it has published its first snapshot. */
export async function startServe(q: { queue: string; choiceQueue: string }, servers: string, extra: string[] = []): Promise<Proc> {
  // get_hosts' 300 ms survey deadline is for a thin client; the fleet here answers from a test
  // process that shares two loaded cores, so a late answer must not turn a live server Down.
  // For the same reason the round-trip filter (100 ms) is off: a late answer must not make it Busy.
  const env = { ...process.env, LDM_BALANCE_TIMEOUT_MS: '1500', LDM_BALANCE_MAX_RTT_MS: '0' };
  const p = bridge(['serve', '--queue', q.queue, '--choice-queue', q.choiceQueue, '--servers', servers, '--no-cache', ...extra], { env });
  await p.waitFor('stderr', /serving /);
  return p;
}

export { eventually, sleep } from '../helpers/wait.ts';

/**
 * The bridge bundled as it ships (scripts/bundle.mjs), in a temp dir removed at exit. It finds the
 * native module (koffi) through NODE_PATH, as an installed bundle finds it in its own node_modules.
 */
export async function bundledBridge(): Promise<{ script: string; env: NodeJS.ProcessEnv }> {
  const { bundleCommand } = await import('../../scripts/bundle.mjs');
  const dir = tempDir('ltsp-gb-bundle-');
  const script = join(dir, 'ltsp-greeter-bridge.js');
  await bundleCommand('ltsp-greeter-bridge', script);
  return { script, env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules') } };
}
