/**
 * `ltsp-balance fleet` as an administrator uses it: the bundled command against real advertise
 * daemons on loopback (idle, busy, swapping, draining, one address with nobody), in a real terminal
 * (tmux: send-keys, capture-pane), as JSON lines, and as a web page over HTTP with its event stream.
 * The browser test is test/admin/fleet-view-browser.test.ts.
 */
import { test } from 'uvu';
import { httpGet as get } from '../../testing/helpers/http.ts';
import { eventually, GENEROUS_MS } from '../../testing/helpers/wait.ts';
import * as assert from 'uvu/assert';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleCommand } from '../../scripts/bundle.mjs';
import { fetchStatus } from '../../advertise/status.ts';
import { FIXTURES, startDaemon, stopAll, type Daemon } from '../../testing/advertise/helpers.ts';
import { startSwapDriver, type SwapDriver } from '../../testing/fixtures/proc/swap-driver.ts';
import { promtoolCheckMetrics } from '../../testing/helpers/promtool.ts';

const dir = mkdtempSync(join(tmpdir(), 'fleet-view-'));
let cli = '';
const daemons: Daemon[] = [];
let servers = '';
let swap: SwapDriver | undefined;
const tmuxSession = `fleetview${process.pid}`;

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LDM_') && k !== 'SERVER' && k !== 'TMUX'));
  return { ...clean, LDM_BALANCE_DISCOVER: 'N', LDM_BALANCE_CACHE: join(dir, 'none.json'), ...extra };
}

function run(args: string[], extra: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: env(extra), timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Waits for `probe` to return a value (generous cap: the machine may be busy). */

test.before(async () => {
  cli = await bundleCommand('ltsp-balance', join(dir, 'ltsp-balance.mjs'));
  const drainConf = join(dir, 'drain.conf');
  writeFileSync(drainConf, 'drain=true\n');
  daemons.push(await startDaemon({ procfs: join(FIXTURES, 'idle'), args: ['--hostname', 'idle1'] }));
  daemons.push(await startDaemon({ procfs: join(FIXTURES, 'busy'), args: ['--hostname', 'busy1'] }));
  swap = await startSwapDriver(); // swapping is a rate: the driver keeps /proc/vmstat growing
  daemons.push(await startDaemon({ procfs: swap.dir, args: ['--hostname', 'swap1'] }));
  daemons.push(await startDaemon({ procfs: join(FIXTURES, 'idle'), args: ['--hostname', 'drain1', '--config', drainConf] }));
  // The last entry: a port where nobody listens (the first daemon's port + 1 is as good as any free one).
  servers = [...daemons.map((d) => `127.0.0.1:${d.port}`), '127.0.0.1:9'].join(' ');
});

test.after(async () => {
  try {
    execFileSync('tmux', ['kill-session', '-t', tmuxSession], { stdio: 'ignore' });
  } catch {}
  await stopAll();
  await swap?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('--once fits 80 columns and says what matters in text: DOWN, SWAPPING, DRAINING, where logins go', async () => {
  // Swapping is a rate: the swap driver's daemon shows it from its second /proc sample on.
  const r = await eventually(async () => {
    const once = await run(['fleet', '--once', '--servers', servers], { COLUMNS: '80' });
    return /SWAPPING/.test(once.stdout) ? once : undefined;
  }, GENEROUS_MS, 'the swapping server seen swapping');
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  for (const l of lines) assert.ok(l.length <= 80, `line of ${l.length} columns: ${l}`);
  assert.match(lines[0]!, /^ltsp-balance fleet .* 5 servers: /);
  assert.match(lines[1]!, /^next login \(two-choices\): 127\.0\.0\.1/);
  const row = (port: number | string): string => lines.find((l) => l.startsWith(`127.0.0.1:${port} `)) ?? '';
  assert.match(row(daemons[0]!.port), /\bIdle\b/);
  assert.match(row(daemons[2]!.port), /\bSWAPPING\b/);
  assert.match(row(daemons[3]!.port), /\bDRAINING\b/);
  assert.match(row(9), /\bDOWN\b/);
  // Wider terminals get more columns, never wider than asked.
  const wide = await run(['fleet', '--once', '--servers', servers], { COLUMNS: '200' });
  const header = wide.stdout.split('\n')[3]!;
  assert.match(header, /PICKED BY/);
  assert.match(header, /WHY/);
  for (const l of wide.stdout.split('\n')) assert.ok(l.length <= 200);
});

test('--json: one line per survey with the same rows; --count stops it', async () => {
  const r = await run(['fleet', '--json', '--count', '2', '--interval', '1', '--servers', servers]);
  assert.is(r.code, 0, r.stderr);
  const docs = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(docs.length, 2);
  for (const d of docs) {
    assert.is(d.rows.length, 5);
    assert.equal(d.rows.map((x: { status: string }) => x.status), ['Idle', d.rows[1].status, 'Swapped', 'Draining', 'Down']);
    assert.ok(d.rows[0].pickedBy.length > 0 || d.rows[1].pickedBy.length > 0, 'some algorithm picks a usable server');
    assert.not.ok('userNames' in d.rows[0], 'no user names unless --show-users');
  }
  assert.ok(docs[1].at > docs[0].at);
});

test('in a terminal (tmux, 80x24): live, s changes the sort, q quits and restores the screen', async () => {
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} fleet --interval 1 --servers ${JSON.stringify(servers)}; echo FLEET-EXITED-$?; sleep 60`;
  execFileSync('tmux', ['new-session', '-d', '-s', tmuxSession, '-x', '80', '-y', '24', command], { env: env() });
  const pane = (): string => execFileSync('tmux', ['capture-pane', '-p', '-t', tmuxSession], { encoding: 'utf8' });
  const first = await eventually(() => (/sort: server/.test(pane()) && /DOWN/.test(pane()) ? pane() : undefined), GENEROUS_MS, 'the live table');
  for (const l of first.split('\n')) assert.ok(l.length <= 80);
  execFileSync('tmux', ['send-keys', '-t', tmuxSession, 's']);
  await eventually(() => /sort: status/.test(pane()), GENEROUS_MS, 'sort: status');
  // Sorted by status: DOWN is the first server row.
  const sorted = pane().split('\n').filter((l) => l.startsWith('127.0.0.1:'));
  assert.match(sorted[0]!, /DOWN/);
  execFileSync('tmux', ['send-keys', '-t', tmuxSession, 'q']);
  const after = await eventually(() => (/FLEET-EXITED-0/.test(pane()) ? pane() : undefined), GENEROUS_MS, 'exit');
  assert.not.match(after, /sort: status/, 'the alternate screen is left: the table is gone');
});

/** Starts `fleet --listen`, returns the port and a stopper. */
async function startWeb(args: string[] = []): Promise<{ port: number; pid: number; stop: () => Promise<number | null>; log: () => string }> {
  const child = spawn(process.execPath, [cli, 'fleet', '--listen', '127.0.0.1:0', '--interval', '1', '--servers', servers, ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (log += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await eventually(() => {
    const m = /fleet view on http:\/\/127\.0\.0\.1:(\d+)\//.exec(log);
    if (!m && child.exitCode !== null) throw new Error(`fleet exited: ${log}`);
    return m ? Number(m[1]) : undefined;
  }, GENEROUS_MS, 'the listening line');
  return { port, pid: child.pid!, log: () => log, stop: () => (child.kill('SIGTERM'), exited) };
}

test('web: the page, its events and /metrics; anything else 404, writes 405, huge headers cut', async () => {
  const web = await startWeb();
  try {
    const page = await get(web.port, '/');
    assert.is(page.status, 200);
    assert.ok(Buffer.byteLength(page.body) < 100 * 1024, `page ${Buffer.byteLength(page.body)} bytes`);
    assert.not.match(page.body, /(src|href)=["']?(https?:)?\/\/|@import|url\(/i, 'self-contained: nothing loaded from elsewhere');
    assert.is((await get(web.port, '/etc/passwd')).status, 404);
    assert.is((await get(web.port, '/../')).status, 404);
    assert.is((await get(web.port, '/', { method: 'POST' })).status, 405);
    assert.is((await get(web.port, '/', { headers: { 'x-big': 'a'.repeat(20_000) } })).status, 431);
    const metrics = await eventually(async () => {
      const m = await get(web.port, '/metrics');
      return /ltsp_balance_fleet_server_up\{/.test(m.body) ? m.body : undefined;
    }, GENEROUS_MS, 'metrics with rows');
    assert.match(metrics, new RegExp(`ltsp_balance_fleet_server_up\\{server="127\\.0\\.0\\.1:9"\\} 0`));
    assert.match(metrics, new RegExp(`ltsp_balance_fleet_server_status\\{server="127\\.0\\.0\\.1:${daemons[2]!.port}",status="Swapped"\\} 1`));
    promtoolCheckMetrics(metrics);
  } finally {
    assert.is(await web.stop(), 0);
  }
});

test('web: 100 viewers at once: one survey per interval, memory bounded', async () => {
  const web = await startWeb();
  const sockets: Array<() => void> = [];
  let events = 0;
  try {
    for (let i = 0; i < 100; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: web.port, path: '/events' }, (res) => {
          assert.is(res.statusCode, 200);
          res.on('data', (d: Buffer) => (events += (d.toString().match(/^event: snapshot$/gm) ?? []).length));
          resolve();
        });
        req.on('error', reject);
        req.end();
        sockets.push(() => req.destroy());
      });
    }
    const idle = daemons[0]!;
    // Answers of either kind: a survey falls back to TCP when UDP is slow (a busy machine). Read in
    // this process, in milliseconds: a status command taking seconds on a loaded machine let the
    // view survey again between the count of answers and the count of events.
    const served = async (): Promise<number> => {
      const c = (await fetchStatus(idle.statusSocket, GENEROUS_MS)).counters;
      return (c.udpServed ?? 0) + (c.tcpServed ?? 0);
    };
    const before = await served();
    const eventsBefore = events;
    // Ten snapshots to every viewer: 1,000 events, and the idle server asked about ten times.
    await eventually(() => events - eventsBefore >= 1000, 60_000, '10 rounds to 100 viewers');
    const asked = (await served()) - before;
    assert.ok(asked >= 9 && asked <= 13, `the server was asked ${asked} times for 10 rounds to 100 viewers`);
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${web.pid}/status`, 'utf8'))?.[1]);
    assert.ok(rssKb < 150 * 1024, `RSS ${rssKb} kB with 100 viewers`);
  } finally {
    for (const close of sockets) close();
    await web.stop();
  }
});

test('web: beyond loopback only with --allow; a bad --allow is a usage error', async () => {
  const r = await run(['fleet', '--listen', '0.0.0.0:0', '--servers', servers]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^<3>--listen 0\.0\.0\.0: listening beyond loopback needs --allow .*\(ERR_FLEET_LISTEN\)\n$/);
  const bad = await run(['fleet', '--listen', '0.0.0.0:0', '--allow', '10.0.0.0/99', '--servers', servers]);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--allow "10\.0\.0\.0\/99" is not an address or address\/prefix/);
});

test.run();
