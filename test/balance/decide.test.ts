import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decide, type DecideOptions } from '../../balance/decide/decide.ts';
import { seededRandom } from '../../balance/decide/random.ts';
import { DEFAULT_SETTINGS, type Algorithm, type Settings } from '../../balance/settings.ts';
import { classify } from '../../balance/decide/status.ts';
import type { ServerReport } from '../../balance/probe/survey.ts';
import { counts, down, loaded, up } from '../../testing/get-hosts/reports.ts';

const settings = (over: Partial<Settings> = {}): Settings => ({ ...DEFAULT_SETTINGS, weights: new Map(), ...over });
const opts = (seed: number, over: Partial<DecideOptions> = {}): DecideOptions => ({ mac: '00:11:22:33:44:55', random: seededRandom(seed), ...over });
const runs = (reports: ServerReport[], algorithm: Algorithm, n = 6000, over: Partial<Settings> = {}): Record<string, number> => {
  const s = settings({ algorithm, ...over });
  return counts(Array.from({ length: n }, (_, i) => decide(reports, s, opts(i + 1)).chosen.host));
};
const near = (actual: number | undefined, expected: number, tolerance: number, what: string): void => {
  assert.ok(Math.abs((actual ?? 0) - expected) <= tolerance, `${what}: ${actual} not within ${tolerance} of ${expected}`);
};

test('classify: each filter, in order, with a detail', () => {
  const s = settings({ maxLoadPerCpu: 1, maxRttMs: 50 });
  const cases: Array<[ServerReport, string, string | undefined]> = [
    [down('a'), 'Down', 'down'],
    [{ ...up('b'), login: { ok: false, port: 22, error: { code: 'ERR_LOGIN_PATH', message: 'login port 22 refused' } } }, 'Down', 'login-path'],
    [up('c', { state: 'draining', swapInPerSec: 500 }), 'Draining', 'draining'],
    [up('d', { weight: 0 }), 'Draining', 'weight-0'],
    [up('e', { swapInPerSec: 20, swapOutPerSec: 20, loadavg1: 40, loadavg5: 40 }), 'Swapped', 'swapping'],
    [loaded('f', 1.5), 'Busy', 'max-load'],
    [up('g', {}, 80), 'Busy', 'max-rtt'],
    [loaded('h', 0.9), 'Idle', undefined],
  ];
  for (const [report, status, filter] of cases) {
    const c = classify(report, s);
    assert.is(c.status, status, report.server.host);
    assert.is(c.filteredBy, filter, report.server.host);
    assert.ok(c.detail.length > 0);
  }
  assert.match(classify(loaded('f', 1.5), s).detail, /load 1\.50 per CPU > LDM_BALANCE_MAX_LOAD 1/);
  assert.is(classify(up('e', { swapInPerSec: 40 }), settings({ skipSwapping: false })).status, 'Idle');
  assert.is(classify(loaded('f', 50), settings({ maxLoadPerCpu: 0 })).status, 'Idle');
  assert.is(classify(up('d', { weight: 100 }), settings({ weights: new Map([['d', 0]]) })).filteredBy, 'weight-0');
});

const three = [loaded('a', 0.2), loaded('b', 0.5), loaded('c', 0.8)];

test('best: always the highest score; equal scores split at random', () => {
  assert.equal(runs(three, 'best', 500), { a: 500 });
  const tied = runs([loaded('a', 0.2), loaded('b', 0.2), loaded('c', 0.9)], 'best', 4000);
  near(tied.a, 2000, 200, 'a');
  near(tied.b, 2000, 200, 'b');
  assert.is(tied.c, undefined);
});

test('two-choices: the better of two random servers (2/3, 1/3, never the worst of three)', () => {
  const c = runs(three, 'two-choices');
  near(c.a, 4000, 200, 'a');
  near(c.b, 2000, 200, 'b');
  assert.is(c.c, undefined);
});

test('random: uniform regardless of load', () => {
  const c = runs(three, 'random');
  for (const h of ['a', 'b', 'c']) near(c[h], 2000, 200, h);
});

test('weighted: in proportion to capacity × headroom (CPUs count, memory noise does not)', () => {
  // a: 4 CPUs at 0.2 per CPU: 4 × (1 − 0.2/2) = 3.6; b: 20 CPUs at 1.0 per CPU: 20 × 0.5 = 10.
  const reports = [loaded('a', 0.2), loaded('b', 1.0, { cpus: 20, loadavg1: 20, loadavg5: 20, memAvailableKb: 1_000_000 })];
  const c = runs(reports, 'weighted', 8000);
  near(c.a, (8000 * 3.6) / 13.6, 250, 'a');
});

test('fixed: balancing off: the first configured server that is neither Down nor draining, whatever its load', () => {
  assert.equal(runs([down('a'), loaded('b', 1.9), loaded('c', 0.1), loaded('d', 0.1)], 'fixed', 50, { maxLoadPerCpu: 1 }), { b: 50 });
  assert.equal(runs([down('a'), up('b', { state: 'draining' }), up('w', { weight: 0 }), up('s', { swapInPerSec: 500 }), loaded('c', 0.1)], 'fixed', 50), { s: 50 });
});

test('fixed, the issue 11 example ".4 (load 9) .2 .3": .4 chosen, every answering server in the menu in configured order', () => {
  const reports = [loaded('10.0.0.4', 9), loaded('10.0.0.2', 0.1), loaded('10.0.0.3', 0.5)];
  const d = decide(reports, settings({ algorithm: 'fixed' }), opts(1));
  assert.is(d.chosen.host, '10.0.0.4');
  assert.equal(d.ordered.map((s) => s.host), ['10.0.0.4', '10.0.0.2', '10.0.0.3']);
  assert.equal(d.servers.map((v) => [v.display, v.candidate]), [['Busy', true], ['Idle', true], ['Idle', true]]);
  assert.is(d.fallback, undefined);
  // Down and draining ones are skipped, the rest keep configured order.
  const some = decide([down('10.0.0.4'), up('10.0.0.5', { state: 'draining' }), loaded('10.0.0.3', 3), loaded('10.0.0.2', 0.1)], settings({ algorithm: 'fixed' }), opts(1));
  assert.equal(some.ordered.map((s) => s.host), ['10.0.0.3', '10.0.0.2']);
  // Every responder draining: the first configured one, not a random one.
  const drained = decide([down('a'), up('b', { state: 'draining' }), up('c', { state: 'draining' })], settings({ algorithm: 'fixed' }), opts(7));
  assert.equal([drained.chosen.host, drained.fallback], ['b', 'all-filtered']);
});

test('display status: 1.95 load per CPU and 91 % memory is Loaded, a candidate still; the thresholds', () => {
  const heavy = up('h', { cpus: 4, loadavg1: 7.8, loadavg5: 6.5, memTotalKb: 16_318_540, memAvailableKb: 1_521_664 });
  const d = decide([heavy, loaded('l', 0.2)], settings({ algorithm: 'best' }), opts(1));
  assert.equal(d.servers.map((v) => [v.status, v.display, v.candidate]), [['Idle', 'Loaded', true], ['Idle', 'Idle', true]]);
  assert.match(d.servers[0]!.detail, /Loaded: load 1\.95 per CPU >= 1, memory 91 % used >= 85 %/);
  const show = (r: ServerReport): string => decide([r], settings(), opts(1)).servers[0]!.display;
  assert.is(show(loaded('a', 0.99)), 'Idle');
  assert.is(show(loaded('a', 1.0)), 'Loaded');
  assert.is(show(up('m', { memTotalKb: 1000, memAvailableKb: 151, loadavg1: 0, loadavg5: 0 })), 'Idle');
  assert.is(show(up('m', { memTotalKb: 1000, memAvailableKb: 150, loadavg1: 0, loadavg5: 0 })), 'Loaded');
  assert.is(show(loaded('b', 3)), 'Busy');
});

test('administrator weights shift the choice (server advertised and client override)', () => {
  const even = [loaded('a', 0.5, { weight: 300 }), loaded('b', 0.5)];
  const c = runs(even, 'weighted', 8000);
  near(c.a, 6000, 250, 'a');
  const overridden = runs(even, 'weighted', 8000, { weights: new Map([['a', 100], ['b', 300]]) });
  near(overridden.b, 6000, 250, 'b');
});

test('logins in flight count as load', () => {
  const storm = [loaded('a', 0.3, { loginsLast60s: 6 }), loaded('b', 0.4)];
  assert.equal(runs(storm, 'best', 100), { b: 100 });
});

test('slow start: a server whose daemon just started gets a fraction of its score', () => {
  const reports = [loaded('old', 0.5), loaded('new', 0.0, { daemonUptimeSec: 12 })];
  const d = decide(reports, settings({ algorithm: 'best' }), opts(1));
  assert.is(d.chosen.host, 'old');
  assert.is(d.servers[1]!.score!.slowStart, 0.1);
  assert.is(decide(reports, settings({ algorithm: 'best', slowStartSec: 0 }), opts(1)).chosen.host, 'new');
});

test('ordered: the chosen first, then the other usable servers best first; filtered ones left out', () => {
  const reports = [down('x'), loaded('c', 0.8), loaded('a', 0.2), loaded('busy', 3), loaded('b', 0.5)];
  const d = decide(reports, settings({ algorithm: 'best' }), opts(1));
  assert.equal(d.ordered.map((s) => s.host), ['a', 'b', 'c']);
  assert.equal(d.servers.map((v) => v.status), ['Down', 'Idle', 'Idle', 'Busy', 'Idle']);
});

test('every responder filtered: a random responder, non-draining preferred', () => {
  const reports = [loaded('a', 5), up('b', { state: 'draining' }), up('c', { swapInPerSec: 100 }), down('d')];
  const c = counts(Array.from({ length: 2000 }, (_, i) => {
    const d = decide(reports, settings(), opts(i));
    assert.is(d.fallback, 'all-filtered');
    assert.match(d.reason, /every responding server was filtered out/);
    return d.chosen.host;
  }));
  near(c.a, 1000, 120, 'a');
  near(c.c, 1000, 120, 'c');
  assert.is(c.b, undefined);
  assert.is(c.d, undefined);
  assert.is(decide([up('b', { state: 'draining' }), down('d')], settings(), opts(1)).chosen.host, 'b');
});

test('nobody answered: the configured list, configured order for fixed, random order otherwise', () => {
  const reports = [down('a'), down('b'), down('c')];
  const fixed = decide(reports, settings({ algorithm: 'fixed' }), opts(1));
  assert.equal(fixed.ordered.map((s) => s.host), ['a', 'b', 'c']);
  assert.is(fixed.fallback, 'none-answered');
  const firsts = runs(reports, 'two-choices', 3000);
  for (const h of ['a', 'b', 'c']) near(firsts[h], 1000, 120, h);
  const hashed = decide(reports, settings({ algorithm: 'machash' }), opts(1));
  assert.equal(hashed.ordered.length, 3);
  assert.equal(decide(reports, settings({ algorithm: 'machash' }), opts(99)).ordered, hashed.ordered);
});

test('an empty report list is a coded error', () => {
  try {
    decide([], settings(), opts(1));
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code: string }).code, 'ERR_NO_SERVERS');
  }
});

test('loadbalancer: its usable answer wins, an unknown host is trusted, a Down one or no answer falls back', () => {
  const reports = [loaded('a', 0.1), loaded('b', 0.9), down('c')];
  const s = settings({ algorithm: 'loadbalancer', fallbackAlgorithm: 'best' });
  const lb = (host?: string) => decide(reports, s, opts(1, { loadBalancer: host ? { host } : { error: { code: 'ERR_LOADBALANCER', message: 'timeout' } } }));
  assert.equal([lb('B').chosen.host, lb('B').algorithm, lb('B').fallback], ['b', 'loadbalancer', undefined]);
  assert.equal([lb('z').chosen.host, lb('z').ordered.map((x) => x.host)], ['z', ['z', 'a', 'b']]);
  const toDown = lb('c');
  assert.equal([toDown.chosen.host, toDown.algorithm, toDown.fallback], ['a', 'best', 'loadbalancer-unusable']);
  assert.match(toDown.reason, /chose c, which is Down here/);
  assert.match(lb().reason, /gave no answer \(timeout\)/);
});

test.run();
