/**
 * What the benchmarks read about a child process from /proc, and the environment every child runs
 * with. CPU time comes from the scheduler's own account, memory from /proc/PID/status.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let tickS: number | undefined;

/**
 * CPU seconds (user + system, every thread) a live process has used so far: the sum of
 * /proc/PID/task/TID/schedstat's first field, the nanoseconds the scheduler ran each thread. That is
 * the clock /proc/PID/stat's utime + stime are derived from, without their rounding to clock ticks
 * (10 ms): a benchmark round of a second at 20 % of a core would otherwise be read to +-5 %. A
 * thread that exited during the round takes its time with it (Node's threads live as long as the
 * process). Falls back to utime + stime where the kernel has no schedstat.
 */
export function cpuSeconds(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]);
      } catch {
        // the thread ended between the listing and the read
      }
    }
    if (ns > 0) return ns / 1e9;
  } catch {
    // no schedstat: below
  }
  tickS ??= 1 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * tickS; // utime and stime, fields 14 and 15 of proc(5)
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
