/**
 * Every process the demo starts, and the promise that none outlives it: on a normal end, on an
 * error, on Ctrl-C or SIGTERM, each child gets SIGTERM (daemons drain), then SIGKILL after a grace;
 * on a bare process.exit the 'exit' hook still sends SIGKILL to whatever is left, and removes the
 * demo's temporary directory.
 */
import { rmSync } from 'node:fs';
import { ManagedProcess } from '../testing/fleet/process.ts';

export class Children {
  private readonly all = new Set<ManagedProcess>();
  private readonly tempDirs: string[] = [];
  private readonly stopHooks: Array<() => Promise<void>> = [];
  private readonly onExit = (): void => {
    for (const p of this.all) p.signal('SIGKILL');
    for (const d of this.tempDirs) rmSync(d, { recursive: true, force: true });
  };
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    void this.stopAll().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };

  constructor(private readonly cwd: string) {
    process.on('exit', this.onExit);
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  removeOnExit(dir: string): void {
    this.tempDirs.push(dir);
  }

  /** Runs once every child has stopped (normal end or signal): for what outlives a process, like queues. */
  afterStop(hook: () => Promise<void>): void {
    this.stopHooks.push(hook);
  }

  start(label: string, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ManagedProcess {
    const p = new ManagedProcess(argv, { label, env, cwd: this.cwd });
    this.all.add(p);
    void p.exited.then(() => this.all.delete(p));
    return p;
  }

  get running(): number {
    return [...this.all].filter((p) => p.running).length;
  }

  async stopAll(graceMs = 3000): Promise<void> {
    await Promise.all([...this.all].map((p) => p.stop(graceMs)));
    for (const hook of this.stopHooks.splice(0)) await hook();
    this.onExit();
    process.off('exit', this.onExit);
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}
