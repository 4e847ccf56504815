/**
 * The advertise daemon as the benchmarks run it: the esbuild bundle of bin/ltsp-server-advertise.ts
 * (what the package installs), started with the Node flags of the systemd unit's ExecStart, on
 * loopback with an ephemeral port, the idle /proc fixture and no utmp, in a clean environment
 * (bench/lib/proc.ts). One home for what advertise.ts and memory.ts both need.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleCommand } from '../../scripts/bundle.mjs';
import { cleanEnv } from '../lib/proc.ts';

export const ROOT = new URL('../../', import.meta.url).pathname;

/** The Node flags between `node` and the script in advertise/systemd/advertise.service's ExecStart. */
export function unitNodeFlags(): string[] {
  const unit = readFileSync(join(ROOT, 'advertise/systemd/advertise.service'), 'utf8');
  return /^ExecStart=\S*node((?: --\S+)*) /m.exec(unit)?.[1]?.trim().split(' ').filter(Boolean) ?? [];
}

/** Bundles the daemon into `dir` (.mjs: the temp dir has no package.json to say "module"). */
export function bundleDaemon(dir: string): Promise<string> {
  return bundleCommand('ltsp-server-advertise', join(dir, 'ltsp-server-advertise.mjs'));
}

export interface StartOptions {
  /** Node flags (default: the unit's). */
  nodeFlags?: string[];
  /** Daemon arguments after the defaults (--rate-limit ..., --max-connections ...). */
  args?: string[];
  /** A command the daemon runs under, e.g. ['taskset', '-c', '1'] (it must exec, keeping the pid). */
  wrapper?: string[];
}

export interface RunningDaemon {
  child: ChildProcess;
  port: number;
}

/** Starts the bundle `daemonJs`; resolves once it logged its TCP port. `name` keeps status sockets apart. */
export function startBundledDaemon(daemonJs: string, dir: string, name: string, options: StartOptions = {}): Promise<RunningDaemon> {
  const argv = [
    ...(options.nodeFlags ?? unitNodeFlags()), daemonJs,
    '--address', '127.0.0.1', '--port', '0', '--status-socket', join(dir, `${name}.sock`),
    '--procfs', join(ROOT, 'testing/fixtures/proc/idle'), '--utmp', join(dir, 'no-utmp'),
    ...(options.args ?? []),
  ];
  const [command, ...rest] = [...(options.wrapper ?? []), process.execPath, ...argv];
  const child = spawn(command!, rest, { stdio: ['ignore', 'ignore', 'pipe'], env: cleanEnv() });
  let log = '';
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (log.length < 1 << 16) log += d;
      const m = /listening on tcp \S+?:(\d+)/.exec(log);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`daemon exited ${code}: ${log}`)));
  });
}
