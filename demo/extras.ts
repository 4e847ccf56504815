/**
 * The demo's two optional parts: the greeter bridge (its live snapshot, or the text chooser on a
 * terminal) and the winbind pool on its embedded local-file backend. Each is started early, in
 * parallel with the daemons; if one cannot run here (no POSIX message queues, a missing addon),
 * the demo says why and goes on.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from '../admin/run-command.ts';
import type { ManagedProcess } from '../testing/fleet/process.ts';
import type { Children } from './children.ts';
import { cleanEnv, command } from './project.ts';

export const DEMO_USER = 'demo';
export const DEMO_PASSWORD = 'demo-password';

export interface Bridge {
  serve: ManagedProcess;
  queues: string[];
  queueFlags: string[];
  choiceFile: string;
}

export function startBridge(root: string, children: Children, tmp: string, servers: string): Bridge {
  const queues = [`/ltsp-demo-${process.pid}-servers`, `/ltsp-demo-${process.pid}-choice`];
  const queueFlags = ['--queue', queues[0]!, '--choice-queue', queues[1]!, '--config', join(tmp, 'lts.conf')];
  const choiceFile = join(tmp, 'choice');
  const serve = children.start('greeter bridge', command(root, 'ltsp-greeter-bridge', 'serve', ...queueFlags, '--servers', servers,
    '--interval', '1', '--no-cache', '--output', choiceFile), cleanEnv());
  const bridge = { serve, queues, queueFlags, choiceFile };
  children.afterStop(() => removeBridgeQueues(bridge));
  return bridge;
}

/**
 * The bridge leaves its queues in place when it stops (a greeter may still hold them open); the
 * demo's are its own, so they go once the bridge has stopped.
 */
async function removeBridgeQueues(bridge: Bridge): Promise<void> {
  try {
    const { unlinkQueue } = await import('../greeter-bridge/mq.ts');
    for (const q of bridge.queues) unlinkQueue(q);
  } catch {
    // no POSIX message queues here: the bridge could not have created any
  }
}

/** One snapshot as the greeter receives it, or why there is none. */
export async function bridgeSnapshot(root: string, bridge: Bridge): Promise<string> {
  const r = await runCommand(command(root, 'ltsp-greeter-bridge', 'watch', '--once', '--timeout', '8', ...bridge.queueFlags), { cwd: root, env: cleanEnv(), timeoutMs: 20_000 });
  if (r.status !== 0) return `(no snapshot: ${bridge.serve.running ? r.stderr.trim() : `the bridge exited: ${bridge.serve.tail(2)}`})\n`;
  const snap = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { servers: Array<{ server: string; status: string; recommended: boolean; rating: number | null; loadPerCpu: number | null }> };
  const rows = snap.servers.map((s) => `  ${s.recommended ? '*' : ' '} ${s.server.padEnd(16)} ${s.status.padEnd(9)} rating ${String(s.rating ?? '-').padStart(3)}  load/cpu ${s.loadPerCpu ?? '-'}`);
  return `${r.stdout.trim()}\n${rows.join('\n')}\n  (* = recommended)\n`;
}

export async function startPool(root: string, children: Children, tmp: string): Promise<{ serve: ManagedProcess; socket: string }> {
  const { hashPassword } = await import('../winbind-pool/backends/password-hash.ts');
  const passwd = join(tmp, 'passwd');
  writeFileSync(passwd, `${DEMO_USER}:${hashPassword(DEMO_PASSWORD)}:20001:100:Demo User:/home/${DEMO_USER}:/bin/bash\n`, { mode: 0o600 });
  const socket = join(tmp, 'pool.sock');
  const serve = children.start('winbind pool', command(root, 'ltsp-winbind-pool', 'serve', '--socket', socket, '--backend', 'local',
    '--passwd-file', passwd, '--min-workers', '1', '--max-workers', '2'), cleanEnv());
  return { serve, socket };
}

const POOL_STATUS_SHOWN = /^\s*(state|backend|served|failed|total workers|idle workers|busy workers):/;

/** A right and a wrong password through the pool, then its status. */
export async function poolSession(root: string, socket: string): Promise<string> {
  const auth = (password: string) =>
    runCommand(command(root, 'ltsp-winbind-pool', 'auth', DEMO_USER, '--socket', socket), { cwd: root, env: cleanEnv(), input: `${password}\n`, timeoutMs: 20_000 });
  const [good, bad] = [await auth(DEMO_PASSWORD), await auth('wrong-password')];
  const lookup = await runCommand(command(root, 'ltsp-winbind-pool', 'getpwnam', DEMO_USER, '--socket', socket), { cwd: root, env: cleanEnv(), timeoutMs: 20_000 });
  const status = await runCommand(command(root, 'ltsp-winbind-pool', 'status', '--socket', socket), { cwd: root, env: cleanEnv(), timeoutMs: 20_000 });
  const said = (r: { status: number | null; stderr: string }) => (r.status === 0 ? 'accepted (exit 0)' : `refused (exit ${r.status}: ${r.stderr.trim().replace(/^<\d>/, '')})`);
  return [
    `  auth ${DEMO_USER} with the right password: ${said(good)}`,
    `  auth ${DEMO_USER} with a wrong password: ${said(bad)}`,
    `  getpwnam ${DEMO_USER}: ${lookup.stdout.trim() || lookup.stderr.trim()}`,
    ...status.stdout.split('\n').filter((l) => POOL_STATUS_SHOWN.test(l)).map((l) => `  status: ${l.trim()}`),
    '',
  ].join('\n');
}
