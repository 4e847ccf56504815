// The worker program of the pools tests build directly (harness.ts, benchmarks): the product's worker
// with a loader that also knows the blocking test backend.
import { runWorker } from '../../winbind-pool/worker.ts';
import { loadWithTestBackends } from './blocking-backend.ts';

await runWorker(loadWithTestBackends);
