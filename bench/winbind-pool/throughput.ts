/**
 * Throughput of the pool with 1, 2, 4 and 8 workers, each request a backend call that blocks its
 * worker for 20 ms (as a call waiting on winbindd does), measured side by side against 1 worker.
 * The ideal is N x; the target is at least 0.9 x N.
 */
import { availableParallelism } from 'node:os';
import { blockingSpec } from '../../testing/winbind-pool/blocking-backend.ts';
import { drive, startPool, table } from './bench.lib.ts';

const BLOCK_MS = 20;
const SECONDS = 2;

const rows: (string | number)[][] = [['workers', 'requests', 'seconds', 'req/s', 'x 1 worker', 'efficiency (x / N)']];
let base = 0;
for (const n of [1, 2, 4, 8]) {
  const pool = await startPool({ minWorkers: n, maxWorkers: n, minSpare: 0 }, blockingSpec(BLOCK_MS));
  const total = Math.round((n * SECONDS * 1000) / BLOCK_MS);
  await drive(() => pool.submit({ op: 'ping' }), n * 4, n); // warm-up
  const seconds = await drive(() => pool.submit({ op: 'ping' }), total, 2 * n);
  await pool.close();
  const rate = total / seconds;
  if (n === 1) base = rate;
  rows.push([n, total, seconds.toFixed(2), rate.toFixed(1), (rate / base).toFixed(2), (rate / base / n).toFixed(3)]);
}
console.log(`backend call blocks ${BLOCK_MS} ms; ${availableParallelism()} cores; clients keep 2 requests per worker in flight`);
console.log(table(rows));
