/** Shared helpers of the winbind-pool tests (not a test file itself). */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { runProcess, type ProcessResult } from '../helpers/process.ts';
import { eventually } from '../helpers/wait.ts';
import { fileURLToPath } from 'node:url';
import { Pool } from '../../winbind-pool/pool.ts';
import { poolSettings, type BackendSpec, type PoolSettings } from '../../winbind-pool/settings.ts';
import type { WorkerLaunch } from '../../winbind-pool/worker-handle.ts';
import { blockingSpec } from './blocking-backend.ts';

export { sleep } from '../helpers/wait.ts';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The code and reason a promise rejects with, or "resolved". */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    const e = err as { code?: string; reason?: string };
    return e.reason ? `${e.code}:${e.reason}` : String(e.code);
  }
}

/** Pools made here are closed by closeAll (call it in test.after and after each test). */
const pools: Pool[] = [];
/** Workers of pools built here: the product's worker, with the blocking test backend loadable. */
export const TEST_WORKER: WorkerLaunch = { script: fileURLToPath(new URL('./worker.ts', import.meta.url)), args: [], execArgv: ['--import', 'tsx'] };

export function blockingPool(settings: Partial<PoolSettings>, blockMs = 10, backend?: BackendSpec): Pool {
  const pool = new Pool(poolSettings({ tickMs: 100, ...settings }), backend ?? blockingSpec(blockMs), TEST_WORKER);
  pools.push(pool);
  return pool;
}
export async function closeAll(): Promise<void> {
  await Promise.all(pools.splice(0).map((p) => p.close()));
}

export function busyPids(pool: Pool): number[] {
  return pool.status().workers.filter((w) => w.state === 'busy').map((w) => w.pid);
}

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = ['--import', 'tsx', `${ROOT}bin/ltsp-winbind-pool.ts`];
/** The same command with `--backend blocking` (testing/winbind-pool/test-daemon.ts), for daemons that need it. */
export const TEST_BIN = ['--import', 'tsx', `${ROOT}testing/winbind-pool/test-daemon.ts`];

export interface Daemon {
  proc: ChildProcess;
  /** Everything the daemon wrote to stderr so far. */
  log(): string;
  /** Resolves when the daemon exits by itself. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then the exit status (SIGKILL after 20 s). */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const daemons = new Set<ChildProcess>();
process.on('exit', () => {
  for (const d of daemons) d.kill('SIGKILL');
});

/**
 * Starts `ltsp-winbind-pool serve ARGS` (optionally behind a command prefix, e.g. nsenter) and waits
 * for its "serving on" line.
 */
export async function startDaemon(args: string[], opts: { prefix?: string[]; env?: NodeJS.ProcessEnv; wait?: boolean } = {}): Promise<Daemon> {
  const prefix = opts.prefix ?? [];
  // The shipped command, unless the test asks for the blocking backend, which only TEST_BIN has.
  const bin = args.includes('blocking') ? TEST_BIN : BIN;
  const argv = [...prefix, process.execPath, ...bin, 'serve', ...args];
  const proc = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'ignore', 'pipe'] } as SpawnOptions);
  daemons.add(proc);
  let log = '';
  proc.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => {
      daemons.delete(proc);
      resolve({ code, signal });
    }),
  );
  const daemon: Daemon = {
    proc,
    exited,
    log: () => log,
    async stop() {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
  };
  if (opts.wait !== false) {
    let gone = false;
    void exited.then(() => (gone = true));
    await eventually(() => {
      if (gone) throw new Error(`daemon exited early:\n${log}`);
      return log.includes('serving on');
    }, 30_000, 'the daemon to serve');
  }
  return daemon;
}

/** Runs `ltsp-winbind-pool ARGS` with `input` on stdin; resolves with its exit code and output. */
export function cli(args: string[], input = '', env: NodeJS.ProcessEnv = process.env): Promise<ProcessResult> {
  return runProcess(process.execPath, [...BIN, ...args], { cwd: ROOT, env, input });
}
