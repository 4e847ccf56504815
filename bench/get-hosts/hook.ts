/**
 * The installed hook (sh wrapper + CommonJS bundle, written by `ltsp-balance install`) on each
 * official Node of the matrix, side by side in one run, every case alternating round by round:
 *
 * 1. per Node version: the wrapper as LDM runs it, with the code cache its package's postinst
 *    writes (get-hosts/code-cache.ts), against `node -e 0` on the same binary, in two
 *    cases: answering from a fresh survey cache (start-up and decision, no network wait), and a
 *    real survey of two live advertise daemons on loopback;
 * 2. the wrapper's own cost on one Node, in pairs: the wrapper against `node BUNDLE` (same input,
 *    same host printed); split into its Node part (the -e loader) and its shell part (the wrapper
 *    around a C program that only prints the host, against that program);
 * 3. the fallback with no Node at all (PATH holds none): what LDM waits for then.
 *
 * NODE_EXTRA_CA_CERTS and NODE_OPTIONS are removed on every side (Node parses the CA file at each
 * start: ~80 ms on these machines; thin clients have neither). Figures: median [min..max] in ms.
 * Usage: node --import tsx bench/get-hosts/hook.ts [ROUNDS]   (default 15)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSurveyCache } from '../../balance/cache-write.ts';
import { FIXTURES, startDaemon, stopAll } from '../../testing/advertise/helpers.ts';
import { installHook } from '../../testing/get-hosts/installed-hook.ts';
import { NODE_MATRIX, officialNode } from '../../testing/node-binaries.ts';
import { sampleAdvertisement } from '../../testing/sample-advertisement.ts';
import { compileRusage, timeChild } from '../lib/rusage.ts';
import { median, randomSubnet, table } from './measure.lib.ts';

const ROUNDS = Math.max(15, Number(process.argv[2] ?? 15));
const PAIR_ROUNDS = 41;
const installed = await installHook();
const rusage = compileRusage(installed.dir);
const subnet = randomSubnet();

interface Case {
  name: string;
  argv: string[];
  env: Record<string, string>;
  /** What stdout must be (a wrong answer is not a measurement). */
  expect: RegExp;
}

/** The whole PATH: `node`, and coreutils' `timeout` (the wrapper's watchdog) as a chroot has it. */
function pathWith(node?: string): string {
  const dir = mkdtempSync(join(installed.dir, 'path-'));
  if (node) symlinkSync(node, join(dir, 'node'));
  symlinkSync(spawnSync('/bin/sh', ['-c', 'command -v timeout'], { encoding: 'utf8' }).stdout.trim(), join(dir, 'timeout'));
  return dir;
}

interface Timing {
  wall: number;
  /** User + system CPU of the process and the children it waited for (bench/lib/rusage.c). */
  cpu: number;
}

function timeOnce(c: Case): Timing {
  const r = timeChild(rusage, c.argv, c.env);
  if (!c.expect.test(r.stdout)) throw new Error(`${c.name}: unexpected output ${JSON.stringify(r.stdout)} ${r.stderr}`);
  return { wall: r.wallMs, cpu: r.cpuMs };
}

/** Every case once per round, in a rotating order so that no case always follows the same one. */
function runAlternating(cases: Case[]): Map<string, { wall: number[]; cpu: number[] }> {
  const samples = new Map(cases.map((c) => [c.name, { wall: [] as number[], cpu: [] as number[] }]));
  for (const c of cases) timeOnce(c); // warm the page cache for every binary and file
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(i + round) % cases.length]!;
      const t = timeOnce(c);
      samples.get(c.name)!.wall.push(t.wall);
      samples.get(c.name)!.cpu.push(t.cpu);
    }
  }
  return samples;
}

/** `source` compiled into the bench's directory, or undefined without a C compiler. */
function compile(name: string, source: string): string | undefined {
  const binary = join(installed.dir, name);
  writeFileSync(`${binary}.c`, source);
  return spawnSync('cc', ['-O2', '-o', binary, `${binary}.c`]).status === 0 ? binary : undefined;
}

const fmt = (xs: number[]): string => `${median(xs).toFixed(1)} [${Math.min(...xs).toFixed(1)}..${Math.max(...xs).toFixed(1)}]`;

try {
  const daemons = await Promise.all([2, 3].map((n) => startDaemon({ host: `${subnet}.${n}`, procfs: join(FIXTURES, 'idle') })));
  const live = daemons.map((d) => `${d.host}:${d.port}`).join(' ');
  const cache = join(installed.dir, 'survey.json');
  writeSurveyCache(cache, daemons.map((d, i) => ({ server: { host: d.host, port: d.port }, reachable: true, ad: sampleAdvertisement({ hostname: `app${i}` }), rttMs: 1, via: 'udp' as const })), Date.now());
  const host = new RegExp(`^${subnet.replace(/\./g, '\\.')}\\.[23]( \\S+)*\\n$`);
  const base = { LDM_BALANCE_DISCOVER: 'N', LDM_BALANCE_SERVERS: live };
  const fromCache = { ...base, LDM_BALANCE_CACHE: cache, LDM_BALANCE_CACHE_MAX_AGE_MS: '3600000' };
  const surveying = { ...base, LDM_BALANCE_CACHE: join(installed.dir, 'none.json') };

  // 1. Per Node version.
  const perVersion: Array<Record<string, string | number>> = [];
  mkdirSync(join(installed.chroot, 'var/cache'), { recursive: true });
  for (const version of NODE_MATRIX) {
    const path = pathWith(officialNode(version));
    const node = officialNode(version);
    // As the client package's postinst leaves it: the code cache for this Node.
    const written = spawnSync(installed.hook, ['--write-code-cache'], { env: { PATH: path }, encoding: 'utf8', timeout: 60_000 });
    if (written.status !== 0) throw new Error(`--write-code-cache on Node ${version}: ${written.stderr}`);
    const s = runAlternating([
      { name: 'node -e 0', argv: [node, '-e', '0'], env: { PATH: path }, expect: /^$/ },
      { name: 'cache', argv: [installed.hook], env: { PATH: path, ...fromCache }, expect: host },
      { name: 'survey', argv: [installed.hook], env: { PATH: path, ...surveying }, expect: host },
    ]);
    const bare = s.get('node -e 0')!;
    const cached = s.get('cache')!;
    const surveyed = s.get('survey')!;
    perVersion.push({
      node: version,
      'node -e 0: wall ms': fmt(bare.wall),
      'hook (cached survey)': fmt(cached.wall),
      'x node': median(cached.wall) / median(bare.wall),
      'hook (live survey)': fmt(surveyed.wall),
      'x node ': median(surveyed.wall) / median(bare.wall),
      'node -e 0: CPU ms': fmt(bare.cpu),
      'hook (cached): CPU': fmt(cached.cpu),
      'x node  ': median(cached.cpu) / median(bare.cpu),
    });
  }
  process.stdout.write(`1. the installed hook as LDM runs it, against node -e 0 on the same binary (${ROUNDS} alternating rounds; median [min..max]; x node: ratio of medians)\n${table(perVersion)}\n\n`);

  // 2. The wrapper's own cost. Paired: each round runs both sides back to back, and the median of
  // the per-round differences is reported (a busy machine shifts both sides of a pair alike).
  const version = NODE_MATRIX.find((v) => v.startsWith(`${process.versions.node.split('.')[0]!}.`)) ?? '20.20.2';
  const node = officialNode(version);
  const path = pathWith(node);
  const loader = /^loader='([^']*)'$/m.exec(readFileSync(installed.hook, 'utf8'))![1]!;
  const pairs: Array<[string, Case, Case]> = [
    ['whole wrapper: the hook against node BUNDLE', { name: 'hook', argv: [installed.hook], env: { PATH: path, ...fromCache }, expect: host }, { name: 'node BUNDLE', argv: [node, installed.bundle], env: { PATH: path, ...fromCache }, expect: host }],
    ['its Node part: node -e LOADER BUNDLE against node BUNDLE', { name: 'loader', argv: [node, '-e', `var t="";${loader}`, installed.bundle], env: fromCache, expect: host }, { name: 'node BUNDLE', argv: [node, installed.bundle], env: fromCache, expect: host }],
  ];
  const stub = compile('stub', `#include <stdio.h>\nint main(void) { puts("${subnet}.2"); return 0; }\n`);
  if (stub) {
    // A "node" that only prints a host: what is left is the shell's part alone, at a resolution
    // Node's own start-up noise would hide.
    pairs.push(['its shell part: the hook on a node that only prints a host, against that program', { name: 'hook', argv: [installed.hook], env: { PATH: pathWith(stub) }, expect: host }, { name: 'stub', argv: [stub], env: {}, expect: host }]);
  }
  const rows = pairs.map(([what, a, b]) => {
    const wall: number[] = [];
    const cpu: number[] = [];
    for (let round = 0; round < PAIR_ROUNDS; round++) {
      const [first, second] = round % 2 ? [a, b] : [b, a];
      const t1 = timeOnce(first);
      const t2 = timeOnce(second);
      const [ta, tb] = round % 2 ? [t1, t2] : [t2, t1];
      wall.push(ta.wall - tb.wall);
      cpu.push(ta.cpu - tb.cpu);
    }
    return { comparison: what, 'wall ms difference': fmt(wall), 'CPU ms difference': fmt(cpu) };
  });
  process.stdout.write(`2. the wrapper's own cost (Node ${version}, cached survey; ${PAIR_ROUNDS} pairs, order alternating; aim < 5 ms)\n${table(rows)}\n\n`);

  // 3. No Node at all.
  const none = pathWith();
  const fallback = runAlternating([
    { name: 'sh -c :', argv: ['/bin/sh', '-c', ':'], env: { PATH: none }, expect: /^$/ },
    { name: 'wrapper, no Node on PATH', argv: [installed.hook], env: { PATH: none, ...base }, expect: host },
  ]);
  process.stdout.write(`3. the fallback with no Node (${ROUNDS} alternating rounds)\n${table([...fallback].map(([name, t]) => ({ command: name, 'wall ms': fmt(t.wall), 'CPU ms': fmt(t.cpu) })))}\n`);
} finally {
  await stopAll();
  installed.remove();
}
