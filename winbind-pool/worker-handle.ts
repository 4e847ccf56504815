/**
 * The pool's view of one worker process: its state, its counters, and the ways it can be told to go
 * (SIGTERM, then SIGKILL after a grace period). The scheduling decisions are the pool's.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { BackendSpec } from './settings.ts';
import { checkFromWorker, type FromWorker, type ToWorker } from './worker-ipc.ts';

/**
 * starting: forked, backend not loaded yet. idle / busy: serving. stopping: asked to exit (reaped,
 * retired, drained). killing: held a request past its deadline, will never get another one.
 */
export type WorkerState = 'starting' | 'idle' | 'busy' | 'stopping' | 'killing';

/**
 * How to start a worker program: `node [execArgv] script [args]`. The daemon forks its own command
 * with the hidden `worker` subcommand (bundle or sources alike); tests fork testing/winbind-pool/worker.ts.
 */
export interface WorkerLaunch {
  script: string;
  args: string[];
  execArgv?: string[];
}

export interface WorkerEvents {
  message(w: WorkerHandle, msg: FromWorker): void;
  exit(w: WorkerHandle, code: number | null, signal: NodeJS.Signals | null): void;
}

export class WorkerHandle {
  state: WorkerState = 'starting';
  readonly startedAt = Date.now();
  requests = 0;
  lastDurationMs: number | null = null;
  lastOp: string | null = null;
  idleSince = 0;
  busySince = 0;
  /** Kills a worker that does not report ready in time (set by the pool). */
  startTimer: NodeJS.Timeout | undefined;
  private readonly child: ChildProcess;
  private killTimer: NodeJS.Timeout | undefined;
  private exited = false;

  constructor(launch: WorkerLaunch, backend: BackendSpec, events: WorkerEvents) {
    // Throws synchronously when the kernel refuses the fork (EAGAIN, ENOMEM): the pool counts that.
    this.child = fork(launch.script, launch.args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: launch.execArgv ?? process.execArgv,
      serialization: 'json',
    });
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (this.exited) return;
      this.exited = true;
      clearTimeout(this.killTimer);
      clearTimeout(this.startTimer);
      events.exit(this, code, signal);
    };
    this.child.on('message', (raw) => {
      const msg = checkFromWorker(raw);
      if (msg === null) this.signal('SIGKILL'); // a worker speaking nonsense is broken
      else events.message(this, msg);
    });
    // 'close' rather than 'exit': every message the worker sent has been delivered by then.
    this.child.on('close', onExit);
    this.child.on('error', (err: NodeJS.ErrnoException) => {
      // A fork that failed (no pid) never emits 'close'. A failed send (sends take no callback:
      // that would cost a process.nextTick per request) means a broken worker. A failed kill needs
      // nothing.
      if (this.child.pid === undefined) onExit(null, null);
      else if (err.syscall !== 'kill') this.signal('SIGKILL');
    });
    this.send({ t: 'init', backend });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Returns false when the channel is already gone; the 'close' event follows. */
  send(msg: ToWorker): boolean {
    if (!this.child.connected) return false;
    this.child.send(msg);
    return true;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.exited) return;
    try {
      this.child.kill(sig);
    } catch {
      // already gone
    }
  }

  /** SIGTERM now, SIGKILL if still there after the grace period. */
  terminate(state: 'stopping' | 'killing', graceMs: number): void {
    this.state = state;
    this.signal('SIGTERM');
    clearTimeout(this.killTimer);
    this.killTimer = setTimeout(() => this.signal('SIGKILL'), graceMs);
  }
}
