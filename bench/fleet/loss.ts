/**
 * Decision time on a thin client across the namespaces, with 0%, 10% and 30% loss on every server
 * link (each direction), against get_hosts' own deadline (300 ms). Side by side in one run: the
 * wall time of a bare `node -e 0` in the same namespace (the start-up floor every get_hosts pays).
 * Reported per loss rate: decision time inside get_hosts (median, p90, max), ratio to the deadline,
 * whole-process wall time, servers that answered per run, and runs where none answered.
 */
import { LtspSite } from '../../testing/fleet/site.ts';
import { percentile, requireRootOrExit, table } from './stats.lib.ts';

requireRootOrExit('bench/fleet/loss.ts');
const RUNS = 25;
const SERVERS = ['app1', 'app2', 'app3', 'app4'];
const site = await LtspSite.create({ hosts: [...SERVERS, 'client'] });
try {
  await Promise.all(SERVERS.map((h) => site.startServer(h)));
  const list = site.serverList(SERVERS);
  const bare: number[] = [];
  const bareNode = async (): Promise<void> => {
    const t0 = performance.now();
    await site.fleet.exec('client', [process.execPath, '-e', '0']);
    bare.push(performance.now() - t0);
  };
  const rows: string[][] = [];
  let deadline = 0;
  for (const loss of [0, 10, 30]) {
    for (const h of SERVERS) await site.fleet.setLink(h, { lossPercent: loss });
    const decision: number[] = [];
    const wall: number[] = [];
    let answered = 0;
    let none = 0;
    for (let i = 0; i < RUNS; i++) {
      await bareNode(); // interleaved, so both see the same machine load
      const r = await site.getHosts('client', ['--servers', list, '--json']);
      if (!r.json) throw new Error(`get_hosts gave no JSON: ${r.stderr}`);
      deadline = r.json.deadlineMs;
      decision.push(r.json.elapsedMs);
      wall.push(r.wallMs);
      answered += r.json.servers.filter((s) => s.status !== 'Down').length;
      if (r.json.fallback === 'none-answered') none++;
    }
    rows.push([`${loss}%`, percentile(decision, 50).toFixed(1), percentile(decision, 90).toFixed(1), Math.max(...decision).toFixed(1),
      (percentile(decision, 50) / deadline).toFixed(2), (Math.max(...decision) / deadline).toFixed(2), percentile(wall, 50).toFixed(0),
      (percentile(wall, 50) / percentile(bare, 50)).toFixed(2), (answered / RUNS).toFixed(2), String(none)]);
  }
  for (const h of SERVERS) await site.fleet.setLink(h, {});
  const netem = await site.fleet.hasNetem();
  process.stdout.write(`get_hosts decision time, ${RUNS} runs per loss rate, ${SERVERS.length} servers, deadline ${deadline} ms, loss via ${netem ? 'netem' : 'cls_bpf random drop'}\n`);
  process.stdout.write(`bare "node -e 0" in the client namespace, interleaved: median ${percentile(bare, 50).toFixed(0)} ms wall\n\n`);
  process.stdout.write(table(['loss', 'p50 ms', 'p90 ms', 'max ms', 'p50/deadline', 'max/deadline', 'wall p50 ms', 'wall/node', 'answered/run', 'none answered'], rows));
} finally {
  await site.teardown();
}
