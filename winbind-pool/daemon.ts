/**
 * `ltsp-winbind-pool serve`: checks that the backend loads, starts the pool, listens, and on SIGTERM
 * or SIGINT drains (stops accepting, answers what is queued and running, stops the workers) and
 * resolves with exit code 0, the life every daemon here has (shared/daemon-lifecycle.ts). A second
 * signal during the drain ends at once.
 */
import { describeError, ConfigError } from '../shared/errors.ts';
import { stopSignal } from '../shared/daemon-lifecycle.ts';
import { EXIT } from '../shared/exit-codes.ts';
import { logError, logInfo, logWarning } from '../shared/log.ts';
import { systemdNotifier } from '../shared/systemd/notify.ts';
import { loadBackend, type BackendLoader } from './backends/backend.ts';
import { openListener, type Listening, type ListenOptions } from './listener.ts';
import { loadPeerCred } from './peer-cred.ts';
import { Pool } from './pool.ts';
import { PoolServer, type ServerLimits } from './server.ts';
import { poolMetrics } from './metrics.ts';
import { RequestStats } from './request-stats.ts';
import { startMetrics } from '../shared/metrics/publish.ts';
import { startSummaryFile } from './summary-file.ts';
import type { BackendSpec, PoolSettings } from './settings.ts';
import type { WorkerLaunch } from './worker-handle.ts';

export interface ServeOptions {
  listen: ListenOptions;
  pool: PoolSettings;
  backend: BackendSpec;
  limits: ServerLimits;
  launch: WorkerLaunch;
  /** The shipped loader unless a testing entry point passes its own (testing/winbind-pool/). */
  loadBackend?: BackendLoader;
  /** Prometheus metrics: an HTTP endpoint and/or node_exporter's textfile directory (both off by default). */
  metrics?: { host: string; port: number };
  metricsTextfile?: string;
  /** A world-readable summary for the advertise daemon (workers, busy, max, queue). */
  summaryFile?: string;
}

export async function serve(opts: ServeOptions): Promise<number> {
  // A second signal exits at once: the socket file this daemon made goes with it (workers die with
  // their parent by PR_SET_PDEATHSIG, or at their IPC channel's end).
  let listening: Listening | undefined;
  const stop = stopSignal(() => listening?.cleanup());
  const notifier = systemdNotifier();
  try {
    // Loading the backend once here turns a missing library or a broken user file into one clear
    // error at start instead of a crash loop of workers.
    try {
      await (opts.loadBackend ?? loadBackend)(opts.backend);
    } catch (err) {
      throw err instanceof ConfigError ? err : new ConfigError('backend', `cannot load the ${opts.backend.kind} backend: ${(err as Error).message}`, { cause: err });
    }
    // Listen before forking workers: a socket that is taken must not leave workers behind. The pool
    // is running before the first connection event can be handled.
    if (!(await loadPeerCred())) logWarning('cannot read peer credentials (SO_PEERCRED): every client shares one connection budget');
    listening = await openListener(opts.listen);
    const pool = new Pool(opts.pool, opts.backend, opts.launch);
    const started = pool.start();
    const stats = opts.metrics || opts.metricsTextfile ? new RequestStats() : undefined;
    const server = new PoolServer(listening.server, pool, opts.limits, stats);
    const metrics = stats
      ? await startMetrics({
          render: () => poolMetrics(pool.status(), stats, server.connections),
          listen: opts.metrics,
          textfile: opts.metricsTextfile ? { dir: opts.metricsTextfile, name: 'ltsp_winbind_pool', intervalMs: 15_000 } : undefined,
        })
      : undefined;
    listening.server.on('error', (err) => logError(`listening socket: ${err.message}`));
    const summary = opts.summaryFile ? startSummaryFile(opts.summaryFile, () => pool.status()) : undefined;
    const onHup = (): void => logInfo('SIGHUP: nothing to reload (the local backend re-reads its files when they change)');
    process.on('SIGHUP', onHup);

    await started;
    const where = listening.activated ? 'the socket passed by systemd' : opts.listen.path;
    logInfo(`serving on ${where} with the ${opts.backend.kind} backend, ${pool.status().total} worker(s) up`);
    // Type=notify: the workers are up, so the first request is answered at once.
    notifier.ready(`serving with the ${opts.backend.kind} backend, ${pool.status().total} worker(s) up`);

    const signal = await stop.received;
    notifier.stopping(`${signal}: draining`);
    process.off('SIGHUP', onHup);
    logInfo(`${signal}: draining`);
    try {
      await Promise.all([server.close(), pool.drain(), metrics?.close()]);
    } catch (err) {
      logError(`drain failed: ${describeError(err)}`);
    }
    listening.cleanup();
    summary?.stop();
    logInfo('stopped');
    return EXIT.ok;
  } finally {
    stop.dispose();
  }
}
