/**
 * What the pool adds to each request: the same backend call (blocking backend, 0 ms) made
 * in-process, through Pool.submit (IPC to a worker process and back), and through the daemon's
 * socket (client, line protocol, pool, worker), one request at a time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockingBackend } from '../../testing/winbind-pool/blocking-backend.ts';
import { PoolClient } from '../../winbind-pool/client.ts';
import { openListener } from '../../winbind-pool/listener.ts';
import { PoolServer } from '../../winbind-pool/server.ts';
import { drive, startPool, table } from './bench.lib.ts';
import { median } from '../lib/stats.ts';

const N = 3000;
const ROUNDS = 5;
const backend = new BlockingBackend(0, 'secret');
const pool = await startPool({ minWorkers: 1, maxWorkers: 1, minSpare: 0 });
const dir = mkdtempSync(join(tmpdir(), 'wbp-bench-'));
const listening = await openListener({ path: join(dir, 's'), mode: 0o600, group: null });
const server = new PoolServer(listening.server, pool);
const client = await PoolClient.connect(join(dir, 's'));

// Baseline: a bare Node IPC round trip to an echoing child, no pool logic at all.
const echo = spawn(process.execPath, ['-e', "process.on('message', (m) => process.send(m))"], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const echoOnce = (i: number): Promise<unknown> =>
  new Promise((resolve) => {
    echo.once('message', resolve);
    echo.send({ t: 'req', seq: i, req: { op: 'getpwuid', uid: i } });
  });

const paths = {
  inProcess: (i: number) => Promise.resolve(backend.getpwuid(i)),
  bareIpc: echoOnce,
  viaPool: (i: number) => pool.submit({ op: 'getpwuid', uid: i }),
  viaSocket: (i: number) => client.request({ op: 'getpwuid', uid: i }),
};
const samples: Record<keyof typeof paths, number[]> = { inProcess: [], bareIpc: [], viaPool: [], viaSocket: [] };
for (const send of Object.values(paths)) await drive(send, 500, 1); // warm-up
// Interleaved rounds, median of each: the machine is shared and its load drifts.
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, send] of Object.entries(paths) as [keyof typeof paths, (i: number) => Promise<unknown>][]) {
    samples[name].push(await drive(send, N, 1));
  }
}
const inProcess = median(samples.inProcess);
const viaPool = median(samples.viaPool);
const viaSocket = median(samples.viaSocket);
const bareIpc = median(samples.bareIpc);
echo.kill();

client.close();
await server.close();
listening.cleanup();
await pool.close();
rmSync(dir, { recursive: true, force: true });

const us = (s: number): string => ((s / N) * 1e6).toFixed(1);
const over = (s: number): string => (((s - inProcess) / N) * 1e6).toFixed(1);
console.log(`${N} sequential getpwuid calls per round, median of ${ROUNDS} interleaved rounds; the backend call itself does no work`);
console.log(
  table([
    ['path', 'us/request', 'overhead us vs in-process'],
    ['in-process backend call', us(inProcess), '0'],
    ['bare Node IPC echo (baseline, no pool)', us(bareIpc), over(bareIpc)],
    ['Pool.submit (IPC to a worker)', us(viaPool), over(viaPool)],
    ['socket client -> daemon -> worker', us(viaSocket), over(viaSocket)],
  ]),
);
console.log(`target: pool overhead under 300 us per request; measured ${over(viaPool)} us (pool), ${over(viaSocket)} us (with the socket)`);
