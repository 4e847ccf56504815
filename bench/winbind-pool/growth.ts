/**
 * How fast the pool grows to meet a burst: from the first request of a burst of 8 long requests
 * (blocking backend, 5 s each) to 8 workers spawned and to 8 busy, starting from 1 worker. Spawning
 * doubles per tick (1, 2, 4 ...), so growth takes about log2(8) ticks plus one worker start-up;
 * the baseline is the start-up of one worker alone (the least any growth can take).
 */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { WorkerLaunch } from '../../winbind-pool/worker-handle.ts';
import { blockingSpec } from '../../testing/winbind-pool/blocking-backend.ts';
import { TEST_WORKER } from '../../testing/winbind-pool/harness.ts';
import { startPool, table } from './bench.lib.ts';

const BURST = 8;

function until(cond: () => boolean): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const check = (): void => {
      if (cond()) resolve(performance.now() - t0);
      else setTimeout(check, 5);
    };
    check();
  });
}

// The same worker program bundled into one file (as `npm run build` ships it), next to the sources
// run through tsx. The bundle is written beside this script so that it resolves koffi from node_modules.
const bundle = fileURLToPath(new URL(`./.worker-bundle-${process.pid}.mjs`, import.meta.url));
await build({
  entryPoints: [fileURLToPath(new URL('../../testing/winbind-pool/worker.ts', import.meta.url))],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'esm',
  external: ['koffi'],
  logLevel: 'error',
});
const launches: [string, WorkerLaunch][] = [
  ['sources (tsx)', TEST_WORKER],
  ['bundle', { script: bundle, args: [], execArgv: [] }],
];

async function startUp(launch: WorkerLaunch): Promise<number> {
  const t0 = performance.now();
  const single = await startPool({ minWorkers: 1, maxWorkers: 1 }, undefined, launch);
  const ms = performance.now() - t0;
  await single.close();
  return ms;
}

const rows: (string | number)[][] = [['worker program', 'tick', 'one start-up', 'to 8 spawned', 'to 8 busy', 'x one start-up']];
try {
  for (const [label, launch] of launches) {
    const oneStart = await startUp(launch);
    for (const tickMs of [1000, 250]) {
      const pool = await startPool({ minWorkers: 1, minSpare: 1, maxWorkers: BURST, tickMs }, blockingSpec(5000), launch);
      const burst = Array.from({ length: BURST }, (_, i) => pool.submit({ op: 'getpwuid', uid: i }).catch(() => {}));
      const [spawned, busy] = await Promise.all([until(() => pool.status().total >= BURST), until(() => pool.status().busy >= BURST)]);
      rows.push([label, `${tickMs} ms`, `${oneStart.toFixed(0)} ms`, `${spawned.toFixed(0)} ms`, `${busy.toFixed(0)} ms`, (busy / oneStart).toFixed(1)]);
      await pool.close();
      await Promise.all(burst);
    }
  }
} finally {
  rmSync(bundle, { force: true });
}
console.log(`burst of ${BURST} long requests arriving at a pool of 1 worker (minSpare 1, maxWorkers ${BURST})`);
console.log(table(rows));
