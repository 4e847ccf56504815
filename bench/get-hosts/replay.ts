/**
 * `get_hosts --replay` throughput: lines decided per second, against a floor that only reads the
 * same file and JSON.parses each line (what any replay must do). Target: >= 10,000 lines/s.
 * The lines: one 30-server survey as a live `--json` prints it, each line with its own seed and
 * algorithm override. Medians of 7 alternating runs, min and max; the bundled command, as installed.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decide } from '../../balance/decide/decide.ts';
import { seededRandom } from '../../balance/decide/random.ts';
import { DEFAULT_SETTINGS } from '../../balance/settings.ts';
import { explanation } from '../../get-hosts/explain.ts';
import { up } from '../../testing/get-hosts/reports.ts';
import { bundleGetHosts, measure, median } from './measure.lib.ts';
import { table } from './measure.lib.ts';

const LINES = 10_000;
const RUNS = 7;
const dir = mkdtempSync(join(tmpdir(), 'bench-replay-'));
const bundle = join(await bundleGetHosts('cjs', dir), 'get_hosts.cjs');
const floor = join(dir, 'floor.cjs');
writeFileSync(floor, `const l=require('fs').readFileSync(process.argv[2],'utf8').split('\\n');let n=0;for(const x of l)if(x)n+=JSON.parse(x).servers.length;process.stdout.write(String(n)+'\\n');`);
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
delete env.NODE_OPTIONS;
const algorithms = ['two-choices', 'deficit', 'weighted', 'machash', 'best', 'random', 'fixed'];
const rate = (ms: number): number => Math.round((LINES / ms) * 1000);
const fmt = (xs: number[]): string => `${rate(median(xs))}/s (${rate(Math.max(...xs))}–${rate(Math.min(...xs))})`;
const rows: Array<Record<string, string | number>> = [];

for (const servers of [5, 30]) {
  const reports = Array.from({ length: servers }, (_, i) => up(`10.0.0.${i + 1}`, { cpus: [4, 8, 12, 20][i % 4]!, sessions: 20 + (i % 7), users: 20 + (i % 7), loadavg1: 1 + (i % 5), loadavg5: 1 + (i % 5) }));
  const settings = { ...DEFAULT_SETTINGS, weights: new Map() };
  const decision = decide(reports, settings, { mac: '02:00:00:00:00:01', random: seededRandom(1) });
  const doc = explanation(decision, { source: 'survey', deadlineMs: 300, elapsedMs: 20, client: '02:00:00:00:00:01', hosts: [], warnings: [], seed: 1, settings });
  const lines = Array.from({ length: LINES }, (_, i) => JSON.stringify({ ...doc, override: { seed: i, algorithm: algorithms[i % algorithms.length] } }));
  const file = join(dir, `survey-${servers}.jsonl`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const replayMs: number[] = [];
  const floorMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await measure(process.execPath, [bundle, '--replay', file], env);
    if (r.stdout.split('\n').length - 1 !== LINES) throw new Error(`replay printed ${r.stdout.split('\n').length - 1} lines, not ${LINES}`);
    replayMs.push(r.wallMs);
    floorMs.push((await measure(process.execPath, [floor, file], env)).wallMs);
  }
  const bytes = Math.round(lines[0]!.length / 1024);
  rows.push({ servers, 'line KiB': bytes, 'replay lines/s median (min–max)': fmt(replayMs), 'floor lines/s (read + JSON.parse)': fmt(floorMs), 'replay/floor wall': median(replayMs) / median(floorMs) });
}
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`get_hosts --replay: ${LINES} lines per file, ${RUNS} alternating runs, whole-process wall time (start-up included), without NODE_EXTRA_CA_CERTS; uptime load ${(await import('node:os')).loadavg()[0]!.toFixed(1)}\n`);
process.stdout.write(`${table(rows)}\n`);
process.stdout.write('target >= 10,000 lines/s; a --json line carries every field of every server, so JSON.parse of the line is the floor\n');
