/**
 * The advertise daemon's Prometheus metrics, as a monitoring site takes them: scraped over HTTP from
 * the running daemon, and read from node_exporter's textfile directory. Checked by promtool.
 */
import { test } from 'uvu';
import { httpGet as get } from '../../testing/helpers/http.ts';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { queryUdp, startDaemon, stopAll, tempDir, fetchTcp } from '../../testing/advertise/helpers.ts';
import { promtoolCheckMetrics } from '../../testing/helpers/promtool.ts';

test.after(() => stopAll());

test('--metrics: queries by protocol and outcome, connections, document age; promtool accepts it', async () => {
  const d = await startDaemon({ args: ['--metrics', '127.0.0.1:0'] });
  const port = Number((await d.waitForLog(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/))[1]);
  await queryUdp(d.port);
  await queryUdp(d.port);
  await fetchTcp(d.port);
  const r = await get(port, '/metrics');
  assert.is(r.status, 200);
  assert.match(r.body, /^ltsp_advertise_queries_total\{protocol="udp",outcome="served"\} 2$/m);
  assert.match(r.body, /^ltsp_advertise_queries_total\{protocol="tcp",outcome="served"\} 1$/m);
  assert.match(r.body, /^ltsp_advertise_queries_total\{protocol="udp",outcome="rate_limited"\} 0$/m);
  assert.match(r.body, /^ltsp_advertise_open_connections \d+$/m);
  const age = Number(/^ltsp_advertise_document_age_seconds ([\d.]+)$/m.exec(r.body)?.[1]);
  assert.ok(age >= 0 && age < 30, `document age ${age}`);
  promtoolCheckMetrics(r.body);
  assert.is((await get(port, '/')).status, 404);
  assert.is((await get(port, '/metrics/../status')).status, 404);
  assert.is(await d.stop(), 0);
});

test('--metrics-textfile: ltsp_advertise.prom written atomically, nothing left behind', async () => {
  const dir = tempDir('adv-textfile-');
  const d = await startDaemon({ args: ['--metrics-textfile', dir] });
  const file = join(dir, 'ltsp_advertise.prom');
  for (let i = 0; i < 600 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^ltsp_advertise_uptime_seconds \d+$/m);
  promtoolCheckMetrics(text);
  assert.equal(readdirSync(dir), ['ltsp_advertise.prom'], 'no temporary file left');
  assert.is(await d.stop(), 0);
});

test('a bad --metrics address is a usage error at start', async () => {
  const d = await startDaemon({ args: ['--metrics', 'nowhere:99999'] }).catch((err: Error) => err);
  assert.instance(d, Error);
  assert.match((d as Error).message, /--metrics "nowhere:99999" must be ADDR:PORT.*\(ERR_METRICS_LISTEN\)/);
});

test.run();
