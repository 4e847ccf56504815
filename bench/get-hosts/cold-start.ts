/**
 * get_hosts' start-up against bare Node and against the physical floor, side by side in one run, per
 * Node version: the installed hook (sh wrapper + CommonJS bundle, laid out as the client package
 * does) run as screen.d/ldm runs it (`LDM_SERVER=$(/usr/share/ltsp/get_hosts)`), surveying one
 * live advertise daemon on loopback, with the V8 code cache its postinst writes and without it;
 * `node -e 0` on the same binary; and the bare-Node floor, a minimal script doing the same network
 * work (one UDP query, one answer, print the host). Every case alternates round by round in a
 * rotating order; wall time, and peak RSS of the largest process, come from wait4 (bench/lib/rusage.c).
 *
 * NODE_EXTRA_CA_CERTS and NODE_OPTIONS are removed from every side: Node parses the CA file at each
 * start (~80 ms on these machines) and a thin client has neither; each child gets only PATH and the
 * get_hosts settings.
 * Targets (issue 14): the hook at most 1.5x `node -e 0` wall on Node 20, 22 and 24, peak RSS at most 1.15x.
 * Usage: node --import tsx bench/get-hosts/cold-start.ts [ROUNDS (>= 15)] [VERSION...]
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, startDaemon, stopAll } from '../../testing/advertise/helpers.ts';
import { installHook } from '../../testing/get-hosts/installed-hook.ts';
import { officialNode } from '../../testing/node-binaries.ts';
import { buildQuery } from '../../shared/wire/udp-query.ts';
import { compileRusage, timeChild } from '../lib/rusage.ts';
import { watchdog } from '../lib/watchdog.ts';
import { median, randomSubnet, table } from './measure.lib.ts';

const args = process.argv.slice(2);
const ROUNDS = Math.max(15, Number(args.find((a) => /^\d+$/.test(a)) ?? 15));
const TARGETS = ['20.20.2', '22.23.5', '24.22.3'];
const FOR_INFORMATION = ['8.10.0', '10.24.1'];
const versions = args.filter((a) => /^\d+\.\d+\.\d+$/.test(a));
const VERSIONS = versions.length > 0 ? versions : [...TARGETS, ...FOR_INFORMATION];
const stage = watchdog(60 * 20);

/**
 * The floor: what get_hosts must do at the least, in plain Node any version runs (no bundle, no
 * parsing, no settings): one socket, the padded query, the first answer, the server's address printed.
 */
const FLOOR = `var s=require("dgram").createSocket("udp4"),a=process.argv;
s.on("message",function(m,r){process.stdout.write(r.address+"\\n");process.exit(0)});
s.send(Buffer.from(a[4],"hex"),+a[3],a[2]);setTimeout(function(){process.exit(1)},5000).unref();
`;

interface Case {
  name: string;
  argv: string[];
  env: Record<string, string>;
}

const installed = await installHook();
try {
  const rusage = compileRusage(installed.dir);
  const floor = join(installed.dir, 'floor.js');
  writeFileSync(floor, FLOOR);
  // The same files in a second root without /var/cache: the hook as it runs with no code cache.
  const bare = join(installed.dir, 'uncached');
  for (const p of ['usr/share/ltsp/get_hosts', 'usr/share/ltsp-balance/get_hosts.cjs']) {
    mkdirSync(join(bare, p, '..'), { recursive: true });
    copyFileSync(join(installed.chroot, p), join(bare, p));
  }
  chmodSync(join(bare, 'usr/share/ltsp/get_hosts'), 0o755);
  mkdirSync(join(installed.chroot, 'var/cache'), { recursive: true });
  const timeout = spawnSync('/bin/sh', ['-c', 'command -v timeout'], { encoding: 'utf8' }).stdout.trim();

  stage('starting the advertise daemon');
  // No rate limit: the default 5 queries/s per source would make later rounds wait for TCP.
  const daemon = await startDaemon({ host: `${randomSubnet()}.2`, procfs: join(FIXTURES, 'idle'), args: ['--rate-limit', '0'] });
  const query = buildQuery().toString('hex');
  const load = [loadavg()];
  const rows: Array<Record<string, string | number>> = [];
  const cpuRows: Array<Record<string, string | number>> = [];
  const detail: string[] = [];
  for (const version of VERSIONS) {
    stage(`Node ${version}`);
    const node = officialNode(version);
    const path = mkdtempSync(join(installed.dir, `path-${version}-`));
    symlinkSync(node, join(path, 'node'));
    symlinkSync(timeout, join(path, 'timeout'));
    const w = spawnSync(installed.hook, ['--write-code-cache'], { env: { PATH: path }, encoding: 'utf8', timeout: 60_000 });
    if (w.status !== 0) throw new Error(`--write-code-cache on Node ${version}: ${w.stderr}`);
    const settings = { PATH: path, LDM_BALANCE_SERVERS: `${daemon.host}:${daemon.port}`, LDM_BALANCE_CACHE: join(installed.dir, 'no-survey.json'), LDM_BALANCE_DISCOVER: 'N' };
    const ldm = (hook: string): string[] => ['/bin/sh', '-c', `LDM_SERVER=$("${hook}"); echo "$LDM_SERVER"`];
    const cases: Case[] = [
      { name: 'node -e 0', argv: [node, '-e', '0'], env: { PATH: path } },
      { name: 'floor', argv: [node, floor, daemon.host, String(daemon.port), query], env: { PATH: path } },
      { name: 'hook', argv: ldm(installed.hook), env: settings },
      { name: 'hook, no cache', argv: ldm(join(bare, 'usr/share/ltsp/get_hosts')), env: settings },
    ];
    const samples = new Map(cases.map((c) => [c.name, { wall: [] as number[], cpu: [] as number[], rss: [] as number[] }]));
    const once = (c: Case): void => {
      const t = timeChild(rusage, c.argv, c.env);
      const expected = c.name === 'node -e 0' ? '' : `${daemon.host}\n`;
      if (t.stdout !== expected || t.status !== 0) throw new Error(`${c.name} on Node ${version}: ${JSON.stringify(t)}`);
      if (t.stderr !== '') throw new Error(`${c.name} on Node ${version}: stderr ${t.stderr}`);
      samples.get(c.name)!.wall.push(t.wallMs);
      samples.get(c.name)!.cpu.push(t.cpuMs);
      samples.get(c.name)!.rss.push(t.maxRssKb);
    };
    // The loader's debug line proves that V8 accepts the cache (the same Node, flags and files as the
    // timed runs, which go without it: creating stderr's stream would cost them a few ms).
    const check = timeChild(rusage, cases[2]!.argv, { ...settings, LTSP_BALANCE_DEBUG: '1' });
    if (!/code cache \S+ used\n/.test(check.stderr)) throw new Error(`Node ${version}: the code cache is not used: ${check.stderr}`);
    for (const c of cases) once(c); // page cache warm for every file, not counted
    for (const s of samples.values()) s.wall.length = s.cpu.length = s.rss.length = 0;
    for (let round = 0; round < ROUNDS; round++) for (let i = 0; i < cases.length; i++) once(cases[(i + round) % cases.length]!);

    const base = samples.get('node -e 0')!;
    const ratio = (name: string, what: 'wall' | 'cpu' | 'rss'): number => median(samples.get(name)![what]) / median(base[what]);
    const fmt = (xs: number[], scale = 1): string => `${(median(xs) / scale).toFixed(1)} [${(Math.min(...xs) / scale).toFixed(1)}..${(Math.max(...xs) / scale).toFixed(1)}]`;
    const label = `${version}${TARGETS.includes(version) ? '' : ' (info)'}`;
    // The same columns for wall and CPU time: each side's median [min..max] and the ratios.
    const timeColumns = (what: 'wall' | 'cpu', unit: string): Record<string, string | number> => ({
      [`node -e 0 ${unit}`]: fmt(base[what]),
      [`floor ${unit}`]: fmt(samples.get('floor')![what]),
      [`hook ${unit}`]: fmt(samples.get('hook')![what]),
      'hook x node': ratio('hook', what),
      'floor x node': ratio('floor', what),
      'hook x floor': median(samples.get('hook')![what]) / median(samples.get('floor')![what]),
      [`no cache ${unit}`]: fmt(samples.get('hook, no cache')![what]),
      'no cache x node': ratio('hook, no cache', what),
    });
    rows.push({ node: label, ...timeColumns('wall', 'ms') });
    cpuRows.push({
      node: label,
      ...timeColumns('cpu', 'CPU ms'),
      'RSS node MiB': fmt(base.rss, 1024),
      'RSS hook': fmt(samples.get('hook')!.rss, 1024),
      'RSS hook x node': ratio('hook', 'rss'),
      'RSS floor x node': ratio('floor', 'rss'),
      'RSS no cache x node': ratio('hook, no cache', 'rss'),
    });
    const perRound = (name: string): string => {
      const a = samples.get(name)!.wall.map((v, i) => v / base.wall[i]!);
      return `${median(a).toFixed(2)} [${Math.min(...a).toFixed(2)}..${Math.max(...a).toFixed(2)}]`;
    };
    detail.push(`Node ${version}: wall, per-round ratio to node -e 0 (same round), median [min..max]: hook ${perRound('hook')}, floor ${perRound('floor')}, no cache ${perRound('hook, no cache')}`);
    load.push(loadavg());
  }
  process.stdout.write(
    `get_hosts start-up, 1 live advertise daemon on loopback: the installed hook as screen.d/ldm runs it (with its V8 code cache; "no cache": without),\n` +
      `node -e 0, and the bare-Node floor (one UDP query, one answer, print), on the same binary. NODE_EXTRA_CA_CERTS and NODE_OPTIONS removed on every side.\n` +
      `${ROUNDS} alternating rounds; wall ms median [min..max]; ratios: of medians; peak RSS from wait4 (the largest process).\n\n` +
      `Wall time:\n${table(rows)}\n\n${detail.join('\n')}\n\n` +
      `CPU time (user + system of the process and its children; what other load disturbs least) and peak RSS:\n${table(cpuRows)}\n\n` +
      `Targets (Node 20, 22, 24): hook <= 1.5x node -e 0 wall, peak RSS <= 1.15x.\n` +
      `Load average (1/5/15 min) before and after each version: ${load.map((l) => l.map((x) => x.toFixed(2)).join('/')).join(' -> ')}\n`,
  );
} finally {
  await stopAll();
  installed.remove();
}
