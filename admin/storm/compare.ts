/**
 * Runs the storm for every algorithm over many seeds and summarises: what the benchmark prints and
 * what `ltsp-balance storm` bases its advice on. One summary row per algorithm.
 */
import type { LocalAlgorithm } from '../../balance/settings.ts';
import { decidePolicy, simulateStorm, type Policy, type ServerSpec, type StormResult } from './simulate.ts';

export const STORM_ALGORITHMS: LocalAlgorithm[] = ['two-choices', 'deficit', 'weighted', 'machash', 'random', 'best'];

export interface StormScenario {
  fleet: readonly ServerSpec[];
  clients: number;
  stormSec: number;
  stalenessSec: number;
  seeds: number;
  outage?: { server: number; downAt: number; upAt: number };
}

export interface StormSummary {
  algorithm: string;
  /** max/mean of sessions per capacity: mean over seeds, 95th percentile, worst. */
  maxMeanAvg: number;
  maxMeanP95: number;
  maxMeanWorst: number;
  cvAvg: number;
  cvWorst: number;
  runs: StormResult[];
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
function p95(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)]!;
}

export function runScenario(scenario: StormScenario, label: string, policy: Policy): StormSummary {
  const runs: StormResult[] = [];
  for (let seed = 1; seed <= scenario.seeds; seed++) {
    runs.push(simulateStorm({ fleet: scenario.fleet, clients: scenario.clients, stormSec: scenario.stormSec, stalenessSec: scenario.stalenessSec, seed, outage: scenario.outage }, policy));
  }
  const mm = runs.map((r) => r.maxOverMean);
  const cv = runs.map((r) => r.cv);
  return { algorithm: label, maxMeanAvg: mean(mm), maxMeanP95: p95(mm), maxMeanWorst: Math.max(...mm), cvAvg: mean(cv), cvWorst: Math.max(...cv), runs };
}

export function compareAlgorithms(scenario: StormScenario, algorithms: readonly LocalAlgorithm[] = STORM_ALGORITHMS): StormSummary[] {
  return algorithms.map((a) => runScenario(scenario, a, decidePolicy(a)));
}

/** The algorithm with the lowest 95th-percentile max/mean (ties: lower mean CV). */
export function bestFit(summaries: readonly StormSummary[]): StormSummary {
  return [...summaries].sort((a, b) => a.maxMeanP95 - b.maxMeanP95 || a.cvAvg - b.cvAvg)[0]!;
}

/** Fixed-width table, the columns named by the row keys. */
export function formatTable(rows: Array<Record<string, string | number>>): string {
  const cols = Object.keys(rows[0] ?? {});
  const cell = (v: string | number): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]!).length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r[c]!))))].join('\n');
}

export function summaryRow(s: StormSummary): Record<string, string | number> {
  return { algorithm: s.algorithm, 'max/mean avg': s.maxMeanAvg, 'max/mean p95': s.maxMeanP95, 'max/mean worst': s.maxMeanWorst, 'CV avg': s.cvAvg, 'CV worst': s.cvWorst };
}
