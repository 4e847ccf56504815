/**
 * `ltsp-winbind-pool serve`: checks that the backend loads, starts the pool, listens, and on SIGTERM
 * or SIGINT drains (stops accepting, answers what is queued and running, stops the workers) and
 * exits 0. A second signal during the drain ends at once.
 */
import { describeError } from '../shared/errors.ts';
import { logError, logInfo } from '../shared/log.ts';
import { ConfigError } from '../shared/errors.ts';
import { loadBackend } from './backends/backend.ts';
import { openListener, type ListenOptions } from './listener.ts';
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
  /** Prometheus metrics: an HTTP endpoint and/or node_exporter's textfile directory (both off by default). */
  metrics?: { host: string; port: number };
  metricsTextfile?: string;
  /** A world-readable summary for the advertise daemon (workers, busy, max, queue). */
  summaryFile?: string;
}

export async function serve(opts: ServeOptions): Promise<void> {
  // Loading the backend once here turns a missing library or a broken user file into one clear
  // error at start instead of a crash loop of workers.
  try {
    await loadBackend(opts.backend);
  } catch (err) {
    throw err instanceof ConfigError ? err : new ConfigError('backend', `cannot load the ${opts.backend.kind} backend: ${(err as Error).message}`, { cause: err });
  }
  // Listen before forking workers: a socket that is taken must not leave workers behind. The pool
  // is running before the first connection event can be handled.
  const listening = await openListener(opts.listen);
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

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) {
      logError(`${signal} again: stopping now`);
      listening.cleanup();
      await pool.close();
      process.exit(1);
    }
    stopping = true;
    logInfo(`${signal}: draining`);
    try {
      await Promise.all([server.close(), pool.drain(), metrics?.close()]);
    } catch (err) {
      logError(`drain failed: ${describeError(err)}`);
    }
    listening.cleanup();
    summary?.stop();
    logInfo('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => logInfo('SIGHUP: nothing to reload (the local backend re-reads its files when they change)'));

  await started;
  const where = listening.activated ? 'the socket passed by systemd' : opts.listen.path;
  logInfo(`serving on ${where} with the ${opts.backend.kind} backend, ${pool.status().total} worker(s) up`);
}
