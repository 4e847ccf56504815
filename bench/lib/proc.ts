/**
 * What the benchmarks read about a child process from /proc, and the environment every child runs
 * with. CPU comes from /proc/PID/stat (utime + stime: every thread of the process, in clock ticks),
 * memory from /proc/PID/status.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let tickS: number | undefined;

/** CPU seconds (user + system, all threads) a live process has used so far. */
export function cpuSeconds(pid: number): number {
  tickS ??= 1 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * tickS; // fields 14 and 15 of proc(5)
}

/** Resident set size in MB. */
export function rssMb(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1]) / 1024;
}

/**
 * This process's environment without NODE_EXTRA_CA_CERTS (Node parses that CA file at every start:
 * ~80 ms here, and a server or thin client has no such variable) and NODE_OPTIONS.
 */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  return env;
}
