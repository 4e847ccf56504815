/**
 * ltsp-server-advertise benchmark, side by side on loopback in one run (about a minute on 2 cores):
 *  1. UDP answers/s: the daemon vs a bare Node dgram server sending the same number of bytes
 *  2. resident memory of the daemon while it answers a million UDP queries (checkpoints: flat?)
 *  3. a herd of 1,400 simultaneous UDP queries, each from its own 127.1.x.y address, against a
 *     daemon with the default rate limit (5/s, burst 20 per source) and against the bare server:
 *     all answered? p50/p99/max (the latencies include the load generator's own event loop)
 *  4. TCP answer-and-close/s: the daemon vs a bare Node net server writing the same bytes and closing
 * The daemon runs as shipped: the esbuild bundle of bin/ltsp-server-advertise.ts.
 * Usage: node --import tsx bench/advertise/advertise.ts [--quick]   (--quick: shorter rounds, 200k queries)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { bundleCommand } from '../../scripts/bundle.mjs';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQuery } from '../../shared/wire/udp-query.ts';
import { percentile, startBareServer, tcpClosedLoop, udpClosedLoop } from './load.lib.ts';

const root = new URL('../../', import.meta.url).pathname;
const quick = process.argv.includes('--quick');
const ROUND_S = quick ? 1.5 : 2.5;
const MILLION = quick ? 200_000 : 1_000_000;
const HERD = 1400;

const tmp = mkdtempSync(join(tmpdir(), 'ltsp-bench-adv-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

// The daemon as shipped: scripts/bundle.mjs's bundle of this one command (.mjs: the temp dir has no
// package.json to say "module").
const daemonJs = await bundleCommand('ltsp-server-advertise', join(tmp, 'ltsp-server-advertise.mjs'));

async function startDaemon(name: string, extra: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [daemonJs, '--address', '127.0.0.1', '--port', '0', '--status-socket', join(tmp, `${name}.sock`),
      '--procfs', join(root, 'testing/fixtures/proc/idle'), '--utmp', join(tmp, 'none'), ...extra],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  children.push(child);
  let log = '';
  return new Promise((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      log += d;
      const m = /listening on tcp \S+?:(\d+)/.exec(log);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`daemon exited ${code}: ${log}`)));
  });
}

function rssMb(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1]) / 1024;
}

function tcpSize(port: number): Promise<number> {
  return new Promise<number>((resolve) => {
    let n = 0;
    const s = connect({ port, host: '127.0.0.1' });
    s.on('data', (c: Buffer) => (n += c.length));
    s.on('close', () => resolve(n));
  });
}

const daemon = await startDaemon('main', ['--rate-limit', '0', '--max-connections', '4096']);
const query = buildQuery();
const udpDocBytes = await new Promise<number>((resolve) => {
  const s = createSocket('udp4');
  s.on('message', (m) => {
    s.close();
    resolve(m.length);
  });
  s.bind(0, '127.0.0.1', () => s.send(query, daemon.port, '127.0.0.1'));
});
const tcpDocBytes = await tcpSize(daemon.port);
// Same byte counts from the baselines. (The TCP document is the UDP one here: no sessions, no names.)
const bareUdp = await startBareServer(udpDocBytes);
children.push(bareUdp.child);

const rows: string[][] = [];
const udpRates = { daemon: 0, bare: 0 };
// Alternate A/B twice so that a burst of other load on the machine hits both sides.
for (let round = 0; round < 2; round++) {
  udpRates.bare += await udpClosedLoop(bareUdp.port, query, 32, { seconds: ROUND_S });
  udpRates.daemon += await udpClosedLoop(daemon.port, query, 32, { seconds: ROUND_S });
}
rows.push(['UDP answers/s', (udpRates.daemon / 2).toFixed(0), (udpRates.bare / 2).toFixed(0), (udpRates.daemon / udpRates.bare).toFixed(2), '>= 0.8']);

// Resident memory over a million queries (UDP only, as in a login storm), checkpoints every tenth.
const rss: number[] = [rssMb(daemon.child.pid!)];
const millionRate = await udpClosedLoop(daemon.port, query, 64, {
  total: MILLION,
  every: MILLION / 10,
  checkpoint: () => rss.push(rssMb(daemon.child.pid!)),
});
rows.push([`RSS MB over ${MILLION.toLocaleString('en')} queries`, rss.map((r) => r.toFixed(0)).join(' '), rssMb(bareUdp.child.pid!).toFixed(0), '', '< 80, flat']);
rows.push(['  (queries/s in that run)', millionRate.toFixed(0), '', '', '']);

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
      return new Promise<void>((r) => s.bind(0, `127.1.${i >> 8}.${(i & 255) + 1 > 254 ? 254 : (i & 255) + 1}`, () => r()));
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
// reboot); the second one a warm daemon, as on a server that has been up for a while. Each source
// spends 2 of its 20-query burst.
const herdDaemon = await startDaemon('herd', []);
const ms = (l: number[]) => `${percentile(l, 50).toFixed(1)} / ${percentile(l, 99).toFixed(1)} / ${(l.at(-1) ?? NaN).toFixed(1)}`;
for (const phase of ['cold', 'warm', 'warm']) {
  const ofDaemon = await herd(herdDaemon.port);
  const ofBare = await herd(bareUdp.port);
  rows.push([`herd of ${HERD} (${phase}): answered`, String(ofDaemon.length), String(ofBare.length), (ofDaemon.length / HERD).toFixed(2), 'all']);
  rows.push([`herd (${phase}) p50 / p99 / max ms`, ms(ofDaemon), ms(ofBare), '', 'p99 < 50']);
}
herdDaemon.child.kill();
bareUdp.child.kill();

const bareTcp = await startBareServer(tcpDocBytes);
children.push(bareTcp.child);
const tcpRates = { daemon: 0, bare: 0 };
for (let round = 0; round < 2; round++) {
  tcpRates.bare += await tcpClosedLoop(bareTcp.port, tcpDocBytes, 16, ROUND_S);
  tcpRates.daemon += await tcpClosedLoop(daemon.port, tcpDocBytes, 16, ROUND_S);
}
rows.push(['TCP answer+close/s', (tcpRates.daemon / 2).toFixed(0), (tcpRates.bare / 2).toFixed(0), (tcpRates.daemon / tcpRates.bare).toFixed(2), '>= 0.8']);
rows.push(['RSS MB after the TCP rounds', rssMb(daemon.child.pid!).toFixed(0), rssMb(bareTcp.child.pid!).toFixed(0), '', '']);
bareTcp.child.kill();
daemon.child.kill();

const header = ['measure', 'daemon', 'bare node', 'ratio', 'target'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`);
process.stdout.write(`UDP document ${udpDocBytes} bytes, query ${query.length} bytes; TCP document ${tcpDocBytes} bytes; node ${process.version}\n`);
process.exit(0);
