/**
 * Metrics cost (issue 15): the /metrics endpoint's answer time with 1,000 series against a bare Node
 * HTTP server sending the same bytes (p50/p99 of sequential keep-alive scrapes, alternating rounds),
 * and the advertise daemon's resident memory with --metrics on against off (alternating starts,
 * after the same queries and scrapes). Targets: p99 < 5 ms; RSS +5 MB at most.
 */
import { createServer } from 'node:http';
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { formatExposition } from '../../shared/metrics/exposition.ts';
import { startMetrics } from '../../shared/metrics/publish.ts';
import { queryUdp, startDaemon, stopAll } from '../../testing/advertise/helpers.ts';
import { median, percentile } from '../lib/stats.ts';
import { table } from '../get-hosts/measure.lib.ts';

const SERIES = 1000;
const SCRAPES = 500;
const ROUNDS = 6;

function render(): string {
  return formatExposition(
    Array.from({ length: 10 }, (_, f) => ({
      name: `ltsp_bench_family_${f}_total`,
      help: 'Bench family.',
      type: 'counter' as const,
      samples: Array.from({ length: SERIES / 10 }, (_, i) => ({ labels: { server: `app${i}.example`, outcome: 'served' }, value: i * f })),
    })),
  );
}

async function scrape(port: number, agent: Agent): Promise<number> {
  const t = performance.now();
  await new Promise<void>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/metrics', agent }, (res) => res.resume().on('end', () => resolve())).on('error', reject).end();
  });
  return performance.now() - t;
}

const ours = await startMetrics({ render, listen: { host: '127.0.0.1', port: 0 } });
const fixed = render();
const bare = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(fixed));
await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
const barePort = (bare.address() as { port: number }).port;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const oursMs: number[] = [];
const bareMs: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (let i = 0; i < SCRAPES; i++) oursMs.push(await scrape(ours.port, agent));
  for (let i = 0; i < SCRAPES; i++) bareMs.push(await scrape(barePort, agent));
}
agent.destroy();
await ours.close();
bare.close();
process.stdout.write(`/metrics with ${SERIES} series (${Buffer.byteLength(fixed)} bytes), ${ROUNDS} alternating rounds of ${SCRAPES} keep-alive scrapes\n`);
process.stdout.write(`${table([
  { server: 'startMetrics (renders per scrape)', 'p50 ms': percentile(oursMs, 50), 'p99 ms': percentile(oursMs, 99), 'max ms': Math.max(...oursMs) },
  { server: 'bare Node http, fixed bytes', 'p50 ms': percentile(bareMs, 50), 'p99 ms': percentile(bareMs, 99), 'max ms': Math.max(...bareMs) },
])}\np99 ratio ${(percentile(oursMs, 99) / percentile(bareMs, 99)).toFixed(2)}x; target p99 < 5 ms\n\n`);

const rssKb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
const on: number[] = [];
const off: number[] = [];
for (let i = 0; i < 5; i++) {
  for (const withMetrics of [false, true]) {
    const d = await startDaemon({ args: ['--rate-limit', '0', ...(withMetrics ? ['--metrics', '127.0.0.1:0'] : [])] });
    const port = withMetrics ? Number((await d.waitForLog(/metrics on http:\/\/127\.0\.0\.1:(\d+)\//))[1]) : 0;
    for (let q = 0; q < 200; q++) await queryUdp(d.port, undefined, { waitMs: 5 });
    if (withMetrics) {
      const a = new Agent({ keepAlive: true });
      for (let s = 0; s < 50; s++) await scrape(port, a);
      a.destroy();
    }
    (withMetrics ? on : off).push(rssKb(d.child.pid!) / 1024);
    await d.stop();
  }
}
await stopAll();
const fmt = (xs: number[]): string => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`;
process.stdout.write(`advertise daemon RSS MB after 200 UDP queries (and 50 scrapes with metrics), 5 alternating starts each, median (min–max)\n`);
process.stdout.write(`${table([{ metrics: 'off', 'RSS MB': fmt(off) }, { metrics: 'on', 'RSS MB': fmt(on) }])}\ndifference of medians ${(median(on) - median(off)).toFixed(1)} MB; target < +5 MB\n`);
