/**
 * The login storm (admin/storm/simulate.ts: peaked logins, 1-5 s from choice to utmp, each client's
 * own survey as old as the poll allows, varying sessions, the kernel's load average), every
 * algorithm with the real decide(), on an identical fleet (30 × 8 CPUs) and a mixed one (4/8/12/20
 * CPUs, three 8-CPU servers at weight 50 with extra background), fresh and 15 s old data, 20 seeds.
 * The old default (two-choices on the rating, uniform draws) runs beside the new one.
 *
 * Printed: max/mean and CV of sessions per capacity (CPUs × weight/100) at the end, mean over seeds,
 * 95th percentile and worst; the weight-50 servers' fill against the 8-CPU weight-100 ones (target
 * 1.00 ± 0.05: half the sessions per CPU); machash when one of 30 dies (clients moved; bound);
 * refill time of a server back from an outage.
 * Targets at 15 s: identical max/mean ≤ 1.05, CV ≤ 0.03; mixed max/mean ≤ 1.07, CV ≤ 0.03.
 * Env: STORM_SEEDS (default 20).
 */
import { compareAlgorithms, formatTable, runScenario, STORM_ALGORITHMS, summaryRow, type StormSummary } from '../../admin/storm/compare.ts';
import { identicalFleet, mixedFleet, WEIGHT_50 } from '../../admin/storm/fleets.ts';
import { machashOutage } from '../../admin/storm/outage.ts';
import { decidePolicy } from '../../admin/storm/simulate.ts';
import { oldTwoChoices } from './old-default.lib.ts';

const SEEDS = Number(process.env.STORM_SEEDS ?? 20);
const CLIENTS = 1400;
const STORM_SEC = 600;
const fleets = { identical: identicalFleet(), mixed: mixedFleet() };
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Weight-50 servers' sessions per capacity over the 8-CPU weight-100 servers', averaged over seeds. */
function weight50Share(s: StormSummary): number {
  const peers = fleets.mixed.map((f, i) => (f.cpus === 8 && f.weight === 100 ? i : -1)).filter((i) => i >= 0);
  return mean(s.runs.map((r) => mean(WEIGHT_50.map((i) => r.perCapacity[i]!)) / mean(peers.map((i) => r.perCapacity[i]!))));
}

process.stdout.write(`storm: ${CLIENTS} logins over ${STORM_SEC} s (peak ~6/s), ${SEEDS} seeds per cell; sessions per capacity at the end\n`);
for (const [name, fleet] of Object.entries(fleets)) {
  for (const stalenessSec of [0, 15]) {
    const scenario = { fleet, clients: CLIENTS, stormSec: STORM_SEC, stalenessSec, seeds: SEEDS };
    const rows = [runScenario(scenario, 'two-choices on rating (old default)', oldTwoChoices), ...compareAlgorithms(scenario)];
    process.stdout.write(`\n${name} fleet, data ${stalenessSec ? `up to ${stalenessSec} s old` : 'fresh (1 s sampling)'}\n`);
    process.stdout.write(`${formatTable(rows.map((s) => (name === 'mixed' ? { ...summaryRow(s), 'w50 fill': weight50Share(s) } : summaryRow(s))))}\n`);
  }
}

process.stdout.write('\nmachash: one of 30 servers dies (1,400 clients filled one by one, then everyone asks again)\n');
const outageRows = Object.entries(fleets).map(([name, fleet]) => {
  const o = machashOutage(fleet, CLIENTS, 7);
  return {
    fleet: name,
    'moved (machash)': `${o.moved} (${((100 * o.moved) / CLIENTS).toFixed(1)}%)`,
    'moved (hash mod n)': `${o.movedModulo} (${((100 * o.movedModulo) / CLIENTS).toFixed(1)}%)`,
    target: `<= ${(100 / 30 + 1).toFixed(1)}%`,
    'fill max/mean': o.fillMaxOverMean,
    bound: o.bound,
  };
});
process.stdout.write(`${formatTable(outageRows)}\n`);

process.stdout.write('\nrefill: server 7 dies at 60 s (its users log in again 10-30 s later) and is back at 150 s; 15 s old data\n');
const refillRows = Object.entries(fleets).flatMap(([name, fleet]) => {
  const scenario = { fleet, clients: CLIENTS, stormSec: STORM_SEC, stalenessSec: 15, seeds: Math.min(SEEDS, 10), outage: { server: 7, downAt: 60, upAt: 150 } };
  return [...STORM_ALGORITHMS].map((a) => {
    const s = runScenario(scenario, a, decidePolicy(a));
    const times = s.runs.map((r) => r.refillSec);
    const done = times.filter((t): t is number => t !== null);
    return { fleet: name, algorithm: a, 'refilled runs': `${done.length}/${times.length}`, 'refill s (median)': done.length ? [...done].sort((x, y) => x - y)[done.length >> 1]! : '-', 'max/mean avg': s.maxMeanAvg };
  });
});
process.stdout.write(`${formatTable(refillRows)}\n`);
