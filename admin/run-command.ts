/**
 * Runs a short external command (ip, tc, nc, ssh-keyscan) and collects what it printed.
 * Output is capped: a command that floods its pipe is killed rather than filling our memory.
 */
import { execFile, spawnSync } from 'node:child_process';

export interface CommandResult {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface CommandOptions {
  timeoutMs?: number;
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Per stream; more than this kills the command. */
  maxBytes?: number;
}

const DEFAULTS = { timeoutMs: 30_000, maxBytes: 4 * 1024 * 1024 };

/** Resolves with the result whatever the exit status (callers decide what a failure is). */
export function runCommand(argv: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const { timeoutMs, maxBytes } = { ...DEFAULTS, ...options };
  return new Promise((resolve, reject) => {
    const child = execFile(
      argv[0]!,
      argv.slice(1),
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: maxBytes, env: options.env ?? process.env, cwd: options.cwd, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err && typeof (err as NodeJS.ErrnoException).code === 'string' && (err as NodeJS.ErrnoException).code !== 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
          // ENOENT and friends: the program could not be started at all.
          reject(err);
          return;
        }
        const e = err as (Error & { code?: number | string; signal?: string | null }) | null;
        resolve({
          status: e ? (typeof e.code === 'number' ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stdout,
          stderr,
        });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** Synchronous, for process exit hooks where nothing asynchronous runs any more. */
export function runCommandSync(argv: readonly string[], timeoutMs = 10_000): CommandResult {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
