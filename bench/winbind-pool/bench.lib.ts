/** Helpers of the winbind-pool benchmarks (skipped by bench/run.ts: *.lib.ts). */
import { Pool } from '../../winbind-pool/pool.ts';
import { poolSettings, type BackendSpec, type PoolSettings } from '../../winbind-pool/settings.ts';
import { setLogSink } from '../../shared/log.ts';
import type { WorkerLaunch } from '../../winbind-pool/worker-handle.ts';
import { blockingSpec } from '../../testing/winbind-pool/blocking-backend.ts';
import { TEST_WORKER } from '../../testing/winbind-pool/harness.ts';

setLogSink(() => {});

export async function startPool(
  settings: Partial<PoolSettings>,
  backend: BackendSpec = blockingSpec(0),
  launch: WorkerLaunch = TEST_WORKER,
): Promise<Pool> {
  const pool = new Pool(poolSettings({ maxQueue: 100_000, requestTimeoutMs: 600_000, maxRequests: 0, ...settings }), backend, launch);
  await pool.start();
  return pool;
}

/** Runs `total` requests with `concurrency` in flight at a time; returns the seconds taken. */
export async function drive(send: (i: number) => Promise<unknown>, total: number, concurrency: number): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  const lane = async (): Promise<void> => {
    while (next < total) await send(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export { table } from '../lib/table.ts';
