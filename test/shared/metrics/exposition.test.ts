/**
 * The hand-written exposition format against the reference parser (`promtool check metrics`), and
 * the shipped alert rules and Grafana dashboard against the metric names the daemons really export.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { formatExposition, histogramSamples } from '../../../shared/metrics/exposition.ts';
import { promtoolCheckMetrics } from '../../../testing/helpers/promtool.ts';

const root = new URL('../../..', import.meta.url).pathname;

test('counters, gauges, labels that need escaping and a histogram pass promtool', () => {
  const text = formatExposition([
    { name: 'ltsp_test_requests_total', help: 'Requests.\nSecond line with a \\ backslash.', type: 'counter', samples: [{ labels: { op: 'auth', outcome: 'a "quoted"\nvalue \\ here' }, value: 3 }] },
    { name: 'ltsp_test_queue_length', help: 'Queue.', type: 'gauge', samples: [{ value: 0 }] },
    { name: 'ltsp_test_duration_seconds', help: 'Durations.', type: 'histogram', samples: histogramSamples('ltsp_test_duration_seconds', { bounds: [0.1, 1], counts: [2, 1, 1], sum: 2.7 }, { op: 'auth' }) },
  ]);
  assert.match(text, /^ltsp_test_requests_total\{op="auth",outcome="a \\"quoted\\"\\nvalue \\\\ here"\} 3$/m);
  assert.match(text, /^ltsp_test_duration_seconds_bucket\{op="auth",le="1"\} 3$/m);
  assert.match(text, /^ltsp_test_duration_seconds_bucket\{op="auth",le="\+Inf"\} 4$/m);
  assert.match(text, /^ltsp_test_duration_seconds_count\{op="auth"\} 4$/m);
  promtoolCheckMetrics(text);
});

test('bad names are refused, not written', () => {
  assert.throws(() => formatExposition([{ name: 'bad name', help: 'x', type: 'gauge', samples: [] }]), /bad metric name/);
  assert.throws(() => formatExposition([{ name: 'ok', help: 'x', type: 'gauge', samples: [{ labels: { 'bad-label': 'v' }, value: 1 }] }]), /bad label name/);
});

test('the shipped alert rules pass promtool and name only metrics that exist', () => {
  const rules = `${root}admin/monitoring/ltsp-balance.rules.yml`;
  const out = execFileSync('promtool', ['check', 'rules', rules], { encoding: 'utf8' });
  assert.match(out, /SUCCESS: 7 rules found/);
  const exported = exportedNames();
  for (const name of readFileSync(rules, 'utf8').match(/\bltsp_[a-z_]+/g) ?? []) assert.ok(exported.has(name), `${name} in the rules is not exported by anything`);
});

test('the Grafana dashboard is JSON whose queries name only metrics that exist', () => {
  const dash = JSON.parse(readFileSync(`${root}admin/monitoring/grafana-dashboard.json`, 'utf8'));
  const exprs: string[] = dash.panels.flatMap((p: { targets: Array<{ expr: string }> }) => p.targets.map((t) => t.expr));
  assert.ok(exprs.length >= 6);
  const exported = exportedNames();
  for (const e of exprs) for (const name of e.match(/\bltsp_[a-z_]+/g) ?? []) assert.ok(exported.has(name.replace(/_(bucket|sum|count)$/, '')), `${name} in the dashboard is not exported`);
});

/** Metric names written in the sources that export them. */
function exportedNames(): Set<string> {
  const files = ['advertise/metrics.ts', 'winbind-pool/metrics.ts', 'admin/fleet-view/metrics.ts'];
  const names = new Set<string>();
  for (const f of files) for (const m of readFileSync(`${root}${f}`, 'utf8').matchAll(/'(ltsp_[a-z_]+)'/g)) names.add(m[1]!);
  return names;
}

test.run();
