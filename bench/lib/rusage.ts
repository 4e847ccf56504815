/**
 * Child processes timed by bench/lib/rusage.c (compiled on first use into the bench's directory):
 * wall time, CPU time of the child and everything it waited for, and the peak resident set of the
 * largest of them, all from wait4(2) rather than from a Node parent's timers.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ChildTiming {
  wallMs: number;
  /** User + system CPU of the child and the children it waited for. */
  cpuMs: number;
  /** ru_maxrss: the peak RSS of the largest process among them, KiB. */
  maxRssKb: number;
  status: number | null;
  stdout: string;
  /** stderr without rusage's own line. */
  stderr: string;
}

/** Compiles rusage.c into `dir`; throws without a C compiler. Returns the binary's path. */
export function compileRusage(dir: string): string {
  const binary = join(dir, 'rusage');
  writeFileSync(`${binary}.c`, readFileSync(new URL('./rusage.c', import.meta.url), 'utf8'));
  const r = spawnSync('cc', ['-O2', '-o', binary, `${binary}.c`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench/lib/rusage.c needs a C compiler (cc): ${r.error?.message ?? r.stderr}`);
  return binary;
}

/** Runs `argv` (argv[0] an absolute path) once under `rusage` with exactly `env`. */
export function timeChild(rusage: string, argv: readonly string[], env: Record<string, string>, timeoutMs = 30_000): ChildTiming {
  const r = spawnSync(rusage, argv, { env, encoding: 'utf8', timeout: timeoutMs });
  const m = /rusage: (\d+) (\d+) (\d+) (\d+)\n$/.exec(r.stderr ?? '');
  if (!m) throw new Error(`${argv.join(' ')}: no rusage line in ${JSON.stringify(r.stderr)} (${r.error?.message ?? `exit ${r.status}`})`);
  return {
    wallMs: Number(m[1]) / 1000,
    cpuMs: (Number(m[2]) + Number(m[3])) / 1000,
    maxRssKb: Number(m[4]),
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr.slice(0, m.index),
  };
}
