/**
 * A long-running child (a daemon, sshd, a client loop) that the fleet owns: its output is kept
 * (the last 64 KiB per stream, for failure messages), its exit is a promise, and `stop()` sends
 * SIGTERM, then SIGKILL after a grace period, so that stopping never hangs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { FleetTimeoutError } from './errors.ts';

const KEEP_BYTES = 64 * 1024;

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ManagedProcess {
  readonly child: ChildProcess;
  readonly label: string;
  readonly exited: Promise<ProcessExit>;
  private out = '';
  private err = '';
  private exitInfo: ProcessExit | undefined;
  /** Every byte it printed has been read (the pipes closed). */
  private closed = false;
  private readonly waiters = new Set<() => void>();

  constructor(argv: readonly string[], options: { label: string; env?: NodeJS.ProcessEnv; cwd?: string }) {
    this.label = options.label;
    this.child = spawn(argv[0]!, argv.slice(1), {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => this.append('out', d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => this.append('err', d));
    // 'exit', not 'close': a grandchild that inherited our pipes (a shell's background job) keeps
    // them open after the process itself is gone, and stopping must not wait for it.
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.append('err', `spawn failed: ${e.message}\n`);
        this.closed = true;
        this.exitInfo ??= { code: null, signal: null };
        this.notify();
        resolve(this.exitInfo);
      });
      this.child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      });
      this.child.on('close', () => {
        this.closed = true;
        this.notify();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }
  get running(): boolean {
    return this.exitInfo === undefined && this.child.pid !== undefined;
  }
  get stdout(): string {
    return this.out;
  }
  get stderr(): string {
    return this.err;
  }

  private append(which: 'out' | 'err', data: string): void {
    if (which === 'out') this.out = (this.out + data).slice(-KEEP_BYTES);
    else this.err = (this.err + data).slice(-KEEP_BYTES);
    this.notify();
  }

  private notify(): void {
    for (const w of this.waiters) w();
  }

  /** Resolves with the match once stdout+stderr match `pattern`; rejects on exit or timeout. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = (this.out + '\n' + this.err).match(pattern);
        if (m) finish(() => resolve(m));
        else if (this.closed) finish(() => reject(new FleetTimeoutError(`${this.label} exited (${this.describeExit()}) before printing ${pattern}: ${this.tail()}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new FleetTimeoutError(`${this.label} did not print ${pattern} within ${timeoutMs} ms: ${this.tail()}`))), timeoutMs);
      const finish = (f: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        f();
      };
      this.waiters.add(check);
      check();
    });
  }

  describeExit(): string {
    if (!this.exitInfo) return 'running';
    return this.exitInfo.signal ? `signal ${this.exitInfo.signal}` : `code ${this.exitInfo.code}`;
  }

  /** The last lines printed, for error messages. */
  tail(lines = 5): string {
    return (this.out + this.err).trim().split('\n').slice(-lines).join(' | ');
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  async stop(graceMs = 3000, sig: NodeJS.Signals = 'SIGTERM'): Promise<ProcessExit> {
    if (!this.running) return this.exited;
    this.child.kill(sig);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
