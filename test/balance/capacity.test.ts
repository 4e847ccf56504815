/**
 * Balancing by capacity (issue 13): the default and `deficit` fill a mixed fleet evenly in sessions
 * per capacity, weights mean shares, machash hashes and bounds by capacity. Seeded storms through the
 * real decide() (admin/storm/simulate.ts), small enough to run in seconds; the full figures are in
 * bench/get-hosts/storm.ts. Each assertion fails for the old default (uniform draws on the rating).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decide } from '../../balance/decide/decide.ts';
import { seededRandom } from '../../balance/decide/random.ts';
import { DEFAULT_SETTINGS, type LocalAlgorithm } from '../../balance/settings.ts';
import { runScenario } from '../../admin/storm/compare.ts';
import { identicalFleet, mixedFleet, WEIGHT_50 } from '../../admin/storm/fleets.ts';
import { machashOutage } from '../../admin/storm/outage.ts';
import { decidePolicy } from '../../admin/storm/simulate.ts';
import { counts, loaded } from '../../testing/get-hosts/reports.ts';

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const storm = (algorithm: LocalAlgorithm, fleet = mixedFleet(), stalenessSec = 15, seeds = 3) =>
  runScenario({ fleet, clients: 1400, stormSec: 600, stalenessSec, seeds }, algorithm, decidePolicy(algorithm));

for (const algorithm of ['two-choices', 'deficit'] as const) {
  test(`${algorithm}: a mixed fleet with 15 s old data fills evenly by capacity`, () => {
    const s = storm(algorithm);
    assert.ok(s.maxMeanWorst <= 1.12, `max/mean ${s.maxMeanWorst.toFixed(3)}`);
    assert.ok(s.cvAvg <= 0.04, `CV ${s.cvAvg.toFixed(3)}`);
    // The 20-CPU servers take their share (uniform draws cap them near 2/n of the logins: ~0.75).
    const fleet = mixedFleet();
    const big = fleet.map((f, i) => (f.cpus === 20 ? i : -1)).filter((i) => i >= 0);
    const share = mean(s.runs.map((r) => mean(big.map((i) => r.perCapacity[i]!)) / mean(r.perCapacity)));
    assert.ok(share >= 0.95 && share <= 1.05, `20-CPU servers at ${share.toFixed(3)} of the mean fill`);
  });

  test(`${algorithm}: a weight-50 server ends at half the sessions per CPU of a weight-100 one of its size (±5 %)`, () => {
    const s = storm(algorithm, mixedFleet(), 15, 4);
    const fleet = mixedFleet();
    const peers = fleet.map((f, i) => (f.cpus === 8 && f.weight === 100 ? i : -1)).filter((i) => i >= 0);
    // Sessions per capacity already divides by weight/100: equal fill is exactly "half per CPU".
    const ratio = mean(s.runs.map((r) => mean(WEIGHT_50.map((i) => r.perCapacity[i]!)) / mean(peers.map((i) => r.perCapacity[i]!))));
    assert.ok(Math.abs(ratio - 1) <= 0.05, `weight-50 fill ${ratio.toFixed(3)} of its weight-100 peers'`);
  });
}

test('two-choices: identical fleet, 15 s old data: max/mean within 1.07', () => {
  const s = storm('two-choices', identicalFleet());
  assert.ok(s.maxMeanWorst <= 1.07, `max/mean ${s.maxMeanWorst.toFixed(3)}`);
});

test('deficit refills an empty server first; nobody short: by capacity', () => {
  const reports = [loaded('full1', 0.5, { sessions: 40, users: 40 }), loaded('full2', 0.5, { sessions: 40, users: 40 }), loaded('empty', 0.1, { sessions: 0, users: 0 })];
  const s = { ...DEFAULT_SETTINGS, algorithm: 'deficit' as const, weights: new Map() };
  const c = counts(Array.from({ length: 3000 }, (_, i) => decide(reports, s, { mac: 'm', random: seededRandom(i + 1) }).chosen.host));
  assert.ok((c.empty ?? 0) >= 2700, `empty chosen ${c.empty} of 3000`);
  const even = [loaded('small', 0.5, { sessions: 10, users: 10, cpus: 4 }), loaded('big', 0.5, { sessions: 50, users: 50, cpus: 20, loadavg1: 10, loadavg5: 10 })];
  const d = counts(Array.from({ length: 6000 }, (_, i) => decide(even, s, { mac: 'm', random: seededRandom(i + 1) }).chosen.host));
  assert.ok(Math.abs((d.big ?? 0) / 6000 - 20 / 24) < 0.03, `big chosen ${d.big} of 6000 (capacity share 0.83)`);
});

test('machash: one of 30 dies: at most 1/n + 1 % of clients move; the bound holds in sessions per capacity', () => {
  for (const fleet of [identicalFleet(), mixedFleet()]) {
    const o = machashOutage(fleet, 1400, 7);
    assert.ok(o.moved / o.clients <= 1 / 30 + 0.01, `moved ${o.moved} of ${o.clients}`);
    assert.ok(o.movedModulo / o.clients > 0.9, 'hash mod n moves nearly everyone (the reference is computed)');
    // Rounding the bound up to whole sessions lets the smallest server exceed (1 + e) by one session.
    const smallest = Math.min(...fleet.map((f) => f.cpus * (f.weight / 100)));
    const mean = 1400 / fleet.reduce((a, f) => a + f.cpus * (f.weight / 100), 0);
    assert.ok(o.fillMaxOverMean <= o.bound + 1 / (smallest * mean), `fill max/mean ${o.fillMaxOverMean.toFixed(3)} > bound ${o.bound}`);
  }
});

test('machash weights its hash by capacity: a 20-CPU server takes 5x the clients of a 4-CPU one', () => {
  const reports = [loaded('small', 0.1, { cpus: 4, sessions: 0, users: 0 }), loaded('big', 0.1, { cpus: 20, loadavg1: 2, loadavg5: 2, sessions: 0, users: 0 })];
  const s = { ...DEFAULT_SETTINGS, algorithm: 'machash' as const, weights: new Map(), boundedLoadEpsilon: 10 };
  const c = counts(Array.from({ length: 6000 }, (_, i) => decide(reports, s, { mac: `02:00:00:00:${(i >> 8).toString(16)}:${(i & 255).toString(16)}`, random: Math.random }).chosen.host));
  assert.ok(Math.abs((c.big ?? 0) / 6000 - 5 / 6) < 0.03, `big took ${c.big} of 6000`);
});

test.run();
