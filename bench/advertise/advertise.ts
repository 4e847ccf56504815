/**
 * ltsp-server-advertise benchmark: what answering costs the server, side by side in one run.
 * Three servers answer the same query with a document of the same size:
 *   - the daemon as shipped: the esbuild bundle, with the systemd unit's Node flags;
 *   - bare Node: a minimal dgram/net script sending a fixed Buffer (the baseline of the targets);
 *   - a C responder (responder.c): the physical floor.
 * The load comes from a C generator (loadgen.c, closed loop over epoll), so the server is the
 * bottleneck and not the client. Servers run on CPU 1 and the generator on CPU 0 (taskset), when
 * there are two CPUs. Per round and server: answers, and the server's CPU time from /proc before and
 * after (every thread; bench/lib/proc.ts); so answers per CPU-second and CPU µs per answer
 * hold even on a machine shared with other work. Rounds alternate the servers (rotating which goes
 * first); figures are medians with min–max, ratios the median of the per-round ratios.
 *   1. UDP queries (32 clients), the daemon's per-source rate limiter on (limits set too high to
 *      refuse anyone: the bucket accounting runs on every query);
 *   2. resident memory of the daemon over about a million UDP queries;
 *   3. a herd of 1,400 simultaneous UDP queries from 1,400 source addresses against the daemon with
 *      its default rate limit (Node clients: latencies include their event loop);
 *   4. TCP connect, read the document, close (16 loops), default connection limits.
 * NODE_EXTRA_CA_CERTS and NODE_OPTIONS are removed from every child's environment.
 * Usage: node --import tsx bench/advertise/advertise.ts [--quick] [--only=udp|tcp]
 *   --quick: fewer, shorter rounds; --only: that comparison alone (no memory, no herd)
 */
import type { ChildProcess } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQuery, QUERY_MAGIC } from '../../shared/wire/udp-query.ts';
import { rssMb } from '../lib/proc.ts';
import { median, percentile } from '../lib/stats.ts';
import { table } from '../lib/table.ts';
import { watchdog } from '../lib/watchdog.ts';
import { bundleDaemon, startBundledDaemon } from './daemon.lib.ts';
import { compileC, measure, pinned, SERVER_PIN, startBareNode, startPrintingPort, type Load, type Sample, type Server } from './load.lib.ts';

const quick = process.argv.includes('--quick');
const only = /^--only=(udp|tcp)$/.exec(process.argv.find((a) => a.startsWith('--only=')) ?? '')?.[1];
const ROUNDS = quick ? 7 : 15;
const ROUND_S = quick ? 0.8 : 1.5;
const UDP_CLIENTS = 32;
const TCP_LOOPS = 16;
const RSS_SLICES = 10;
const RSS_SLICE_S = quick ? 0.5 : 2.5;
const HERD = 1400;
const stage = watchdog(quick ? 240 : 600);

const tmp = mkdtempSync(join(tmpdir(), 'ltsp-bench-adv-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});
/** Every server started is killed on exit, also after a failure. */
const started = <T extends Server>(server: T): T => {
  children.push(server.child);
  return server;
};

stage('compiling the C generator and responder');
const loadgen = compileC('loadgen', tmp);
const responder = compileC('responder', tmp);

stage('bundling and starting the daemon');
const daemonJs = await bundleDaemon(tmp);
// The rate limiter stays on (1,000,000/s per source): every query pays for its bucket, none is refused.
const daemon = started(await startBundledDaemon(daemonJs, tmp, 'main', { wrapper: SERVER_PIN, args: ['--rate-limit', '1000000', '--rate-burst', '1000000'] }));

const query = buildQuery();
const udpDocBytes = await new Promise<number>((resolve) => {
  const s = createSocket('udp4');
  s.on('message', (m) => {
    s.close();
    resolve(m.length);
  });
  s.bind(0, '127.0.0.1', () => s.send(query, daemon.port, '127.0.0.1'));
});
const tcpDocBytes = await new Promise<number>((resolve) => {
  let n = 0;
  const s = connect({ port: daemon.port, host: '127.0.0.1' });
  s.on('data', (c: Buffer) => (n += c.length));
  s.on('close', () => resolve(n));
});

const loads: number[] = [];
const udpLoad: Load = { proto: 'udp', clients: UDP_CLIENTS, query, magic: QUERY_MAGIC };
const tcpLoad: Load = { proto: 'tcp', clients: TCP_LOOPS, documentBytes: tcpDocBytes };
const measureOn = (server: Server, load: Load, seconds: number): Promise<Sample> => {
  loads.push(loadavg()[0]!);
  return measure(loadgen, server, load, seconds);
};

type Servers = Record<'daemon' | 'bare node' | 'C', Server>;

/** Alternating rounds over every server; a short warm-up each first (V8 optimises the hot path). */
async function compare(load: Load, servers: Servers): Promise<Record<string, Sample[]>> {
  const names = Object.keys(servers) as (keyof Servers)[];
  const samples: Record<string, Sample[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) await measureOn(servers[n], load, 0.5);
  for (let round = 0; round < ROUNDS; round++) {
    stage(`${load.proto} round ${round + 1}`);
    for (let k = 0; k < names.length; k++) {
      const n = names[(round + k) % names.length]!;
      samples[n]!.push(await measureOn(servers[n], load, ROUND_S));
    }
  }
  return samples;
}

const range = (xs: number[], digits: number) => {
  const f = (x: number) => x.toFixed(digits);
  return `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
};
const perCpuS = (s: Sample) => s.answers / s.serverCpuS;
const usPerAnswer = (s: Sample) => (s.serverCpuS / s.answers) * 1e6;

function report(title: string, samples: Record<string, Sample[]>, target: string): string {
  const ratio = (a: string, b: string) => samples[a]!.map((s, i) => perCpuS(s) / perCpuS(samples[b]![i]!));
  const rows: (string | number)[][] = [['server', 'answers per CPU-second', 'CPU µs per answer', 'answers/s (wall)', 'server CPU busy', 'generator CPU busy', 'errors']];
  for (const [name, xs] of Object.entries(samples)) {
    rows.push([
      name,
      range(xs.map(perCpuS), 0),
      range(xs.map(usPerAnswer), 1),
      range(xs.map((s) => s.answers / s.wallS), 0),
      range(xs.map((s) => (100 * s.serverCpuS) / s.wallS), 0) + ' %',
      range(xs.map((s) => (100 * s.generatorCpuS) / s.wallS), 0) + ' %',
      xs.reduce((a, s) => a + s.errors, 0),
    ]);
  }
  return (
    `\n${title}\n${table(rows, { rule: true })}\n` +
    `  daemon / bare node, answers per CPU-second: ${range(ratio('daemon', 'bare node'), 2)}   target ${target}\n` +
    `  daemon / C: ${range(ratio('daemon', 'C'), 2)}   bare node / C: ${range(ratio('bare node', 'C'), 2)}\n`
  );
}

const out: string[] = [];
async function udpSection(): Promise<void> {
  stage('starting the UDP baselines');
  const bare = started(await startBareNode(udpDocBytes));
  const c = started(await startPrintingPort([responder, String(udpDocBytes)]));
  const samples = await compare(udpLoad, { daemon, 'bare node': bare, C: c });
  out.push(report(`UDP query -> document (${query.length}-byte query, ${udpDocBytes}-byte document, ${UDP_CLIENTS} clients), ${ROUNDS} rounds of ${ROUND_S} s`, samples, '>= 0.9'));
  if (only) return;

  // Resident memory under sustained UDP load, checkpoints after every slice: flat?
  stage('RSS under UDP load');
  const rss: number[] = [rssMb(daemon.child.pid!)];
  let queries = 0;
  for (let i = 0; i < RSS_SLICES; i++) {
    queries += (await measureOn(daemon, udpLoad, RSS_SLICE_S)).answers;
    rss.push(rssMb(daemon.child.pid!));
  }
  out.push(`\nRSS MB of the daemon over ${queries.toLocaleString('en')} UDP queries, at the start and after each tenth: ${rss.map((r) => r.toFixed(0)).join(' ')} (target < 80, flat; bare node ${rssMb(bare.child.pid!).toFixed(0)}, C ${rssMb(c.child.pid!).toFixed(1)})\n`);
  c.child.kill();
  await herdSection(bare);
  bare.child.kill();
}

// The herd: every member has its own source address (127.1.x.y), as real thin clients do, so the
// daemon runs with its default rate limit (5/s, burst 20 per source) and nobody is limited.
async function herd(port: number): Promise<number[]> {
  const sockets: UdpSocket[] = [];
  const latencies: number[] = [];
  const sentAt: number[] = [];
  await Promise.all(
    Array.from({ length: HERD }, (_, i) => {
      const s = createSocket('udp4');
      sockets.push(s);
      s.on('message', () => latencies.push(performance.now() - sentAt[i]!));
      return new Promise<void>((r) => s.bind(0, `127.1.${i >> 8}.${Math.min((i & 255) + 1, 254)}`, () => r()));
    }),
  );
  sockets.forEach((s, i) => {
    sentAt[i] = performance.now();
    s.send(query, port, '127.0.0.1');
  });
  await new Promise((r) => setTimeout(r, 1000));
  for (const s of sockets) s.close();
  return latencies.sort((a, b) => a - b);
}

// The first herd meets a freshly started daemon (code not yet optimised by V8: the 8 am case after a
// reboot); the next ones a warm daemon. Each source spends 3 of its 20-query burst.
async function herdSection(bare: Server): Promise<void> {
  stage('herd');
  const herdDaemon = started(await startBundledDaemon(daemonJs, tmp, 'herd', { wrapper: SERVER_PIN }));
  const ms = (l: number[]) => `${percentile(l, 50).toFixed(1)} / ${percentile(l, 99).toFixed(1)} / ${(l.at(-1) ?? NaN).toFixed(1)}`;
  const rows: (string | number)[][] = [['herd of 1,400 sources', 'daemon answered', 'bare node answered', 'daemon p50 / p99 / max ms', 'bare node p50 / p99 / max ms']];
  for (const phase of ['cold', 'warm', 'warm']) {
    const ofDaemon = await herd(herdDaemon.port);
    const ofBare = await herd(bare.port);
    rows.push([phase, ofDaemon.length, ofBare.length, ms(ofDaemon), ms(ofBare)]);
  }
  out.push(`\n${table(rows, { rule: true })}\n  target: all answered, p99 < 50 ms (Node clients: their own event loop is in the latencies)\n`);
  herdDaemon.child.kill();
}

async function tcpSection(): Promise<void> {
  stage('starting the TCP baselines');
  const bare = started(await startBareNode(tcpDocBytes));
  const c = started(await startPrintingPort([responder, String(tcpDocBytes)]));
  const samples = await compare(tcpLoad, { daemon, 'bare node': bare, C: c });
  out.push(report(`TCP connect, read the document, close (${tcpDocBytes}-byte document, ${TCP_LOOPS} loops), ${ROUNDS} rounds of ${ROUND_S} s`, samples, '>= 0.9'));
  out.push(`RSS MB after the TCP rounds: daemon ${rssMb(daemon.child.pid!).toFixed(0)}, bare node ${rssMb(bare.child.pid!).toFixed(0)}\n`);
  bare.child.kill();
  c.child.kill();
}

if (only !== 'tcp') await udpSection();
if (only !== 'udp') await tcpSection();
process.stdout.write(
  out.join('') +
    `\nnode ${process.version}; ${availableParallelism()} CPUs; ` +
    (pinned ? 'servers pinned to CPU 1, the generator to CPU 0 (taskset)' : 'nothing pinned (one CPU, or no taskset)') +
    `; 1-min load average during the run ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}; ` +
    `NODE_EXTRA_CA_CERTS and NODE_OPTIONS removed from every child\n`,
);
process.exit(0);
