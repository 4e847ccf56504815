/**
 * The winbind pool's Prometheus metrics from the running daemon (local backend, real workers):
 * workers by state, requests by type and outcome with their duration, no user names; promtool
 * accepts it.
 */
import { test } from 'uvu';
import { httpGet as get } from '../../testing/helpers/http.ts';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, startDaemon, type Daemon } from '../../testing/winbind-pool/harness.ts';
import { promtoolCheckMetrics } from '../../testing/helpers/promtool.ts';

const dir = mkdtempSync(join(tmpdir(), 'wbp-metrics-'));
const SECRET = 'Metrics-Pa55word-19c';
let daemon: Daemon | undefined;

test.after(async () => {
  await daemon?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('requests by op and outcome, the duration histogram, workers by state; no user names', async () => {
  const hashed = await cli(['hash-password'], `${SECRET}\n`);
  const passwd = join(dir, 'passwd');
  writeFileSync(passwd, `alice:${hashed.stdout.trim()}:20001:100:Alice:/home/alice:/bin/bash\n`);
  const socket = join(dir, 'pool.sock');
  daemon = await startDaemon(['--socket', socket, '--backend', 'local', '--passwd-file', passwd, '--metrics', '127.0.0.1:0']);
  const port = Number(/metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(daemon.log())?.[1]);
  assert.ok(port > 0, daemon.log());
  assert.is((await cli(['auth', 'alice', '--socket', socket], `${SECRET}\n`)).code, 0);
  assert.is.not((await cli(['auth', 'alice', '--socket', socket], 'wrong\n')).code, 0);
  assert.is((await cli(['getpwnam', 'alice', '--socket', socket])).code, 0);
  const r = await get(port, '/metrics');
  assert.is(r.status, 200);
  assert.match(r.body, /^ltsp_winbind_pool_requests_total\{op="auth",outcome="ok"\} 1$/m);
  assert.match(r.body, /^ltsp_winbind_pool_requests_total\{op="auth",outcome="ERR_DENIED"\} 1$/m);
  assert.match(r.body, /^ltsp_winbind_pool_requests_total\{op="getpwnam",outcome="ok"\} 1$/m);
  assert.match(r.body, /^ltsp_winbind_pool_request_duration_seconds_count\{op="auth"\} 2$/m);
  assert.match(r.body, /^ltsp_winbind_pool_workers\{state="idle"\} \d+$/m);
  assert.match(r.body, /^ltsp_winbind_pool_worker_restarts_total\{reason="crashed"\} 0$/m);
  assert.not.match(r.body, /alice|Pa55word/, 'no user name, no password');
  promtoolCheckMetrics(r.body);
});

test.run();
