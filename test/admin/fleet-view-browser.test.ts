/**
 * The fleet view's web page in a real headless browser (Debian's chromium, driven by playwright-core:
 * nothing downloaded), against real advertise daemons on loopback: it renders, a server killed
 * mid-test turns DOWN on the page within two refreshes, the page logs no console error, and a
 * screenshot is taken (docs/fleet-view.png, shown in the README, when FLEET_VIEW_SCREENSHOT is set).
 */
import { test } from 'uvu';
import { eventually, GENEROUS_MS } from '../../testing/helpers/wait.ts';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { bundleCommand } from '../../scripts/bundle.mjs';
import { FIXTURES, startDaemon, stopAll, type Daemon } from '../../testing/advertise/helpers.ts';
import { startSwapDriver, type SwapDriver } from '../../testing/fixtures/proc/swap-driver.ts';

const CHROMIUM = '/usr/bin/chromium';
const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'fleet-browser-'));
const daemons: Daemon[] = [];
let swap: SwapDriver | undefined;
let fleet: ChildProcess | undefined;
let browser: Browser | undefined;

/** Waits for `probe` to return a value (generous cap: the machine may be busy). */

test.after(async () => {
  await browser?.close();
  fleet?.kill('SIGKILL');
  await stopAll();
  await swap?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('the page: live rows, a killed server DOWN within two refreshes, no console errors, a screenshot', async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: .ci/run installs Debian's chromium`);
  const drain = join(dir, 'drain.conf');
  writeFileSync(drain, 'drain=true\n');
  swap = await startSwapDriver();
  daemons.push(await startDaemon({ procfs: join(FIXTURES, 'idle'), args: ['--hostname', 'app1'] }));
  daemons.push(await startDaemon({ procfs: join(FIXTURES, 'busy'), args: ['--hostname', 'app2'] }));
  daemons.push(await startDaemon({ procfs: swap.dir, args: ['--hostname', 'app3'] }));
  daemons.push(await startDaemon({ procfs: join(FIXTURES, 'idle'), args: ['--hostname', 'app4', '--config', drain] }));
  const victim = daemons[0]!;
  const servers = daemons.map((d) => `127.0.0.1:${d.port}`).join(' ');
  const cli = await bundleCommand('ltsp-balance', join(dir, 'ltsp-balance.mjs'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LDM_')));
  fleet = spawn(process.execPath, [cli, 'fleet', '--listen', '127.0.0.1:0', '--interval', '1', '--servers', servers], { env: { ...env, LDM_BALANCE_DISCOVER: 'N' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  fleet.stderr!.setEncoding('utf8').on('data', (d) => (log += d));
  const port = await eventually(() => Number(/fleet view on http:\/\/127\.0\.0\.1:(\d+)\//.exec(log)?.[1]) || undefined, GENEROUS_MS, 'the listening line');
  const url = `http://127.0.0.1:${port}/`;

  // The test's own view of the event stream: which snapshot first shows the victim Down.
  const snapshots: Array<{ at: number; victimDown: boolean }> = [];
  const stream = request({ host: '127.0.0.1', port, path: '/events' }, (res) => {
    let buf = '';
    res.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n\n'); i !== -1; i = buf.indexOf('\n\n')) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const m = /^event: snapshot\ndata: (.*)$/ms.exec(block);
        if (!m) continue;
        const s = JSON.parse(m[1]!);
        snapshots.push({ at: Date.now(), victimDown: s.rows.some((r: { server: string; status: string }) => r.server === `127.0.0.1:${victim.port}` && r.status === 'Down') });
      }
    });
  });
  stream.end();

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 420 } });
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await page.goto(url);
  const row = (p: number) => page.locator(`tr[data-server="127.0.0.1:${p}"] .st`);
  await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 4, undefined, { timeout: 30_000 });
  // Swapping is a rate: the swap driver's daemon shows it from its second /proc sample on.
  await page.waitForFunction((p) => document.querySelector(`tr[data-server="127.0.0.1:${p}"] .st`)?.textContent === 'SWAPPING', daemons[2]!.port, { timeout: 30_000 });
  assert.is(await row(daemons[2]!.port).textContent(), 'SWAPPING');
  assert.is(await row(daemons[3]!.port).textContent(), 'DRAINING');
  assert.is(await row(victim.port).textContent(), 'Idle');
  // A few points of history, so the screenshot's sparklines have a line.
  await eventually(() => snapshots.length >= 3, GENEROUS_MS, 'three snapshots');

  const before = snapshots.length;
  await victim.stop('SIGKILL');
  await page.waitForFunction((p) => document.querySelector(`tr[data-server="127.0.0.1:${p}"] .st`)?.textContent === 'DOWN', victim.port, { timeout: 30_000 });
  const firstDown = snapshots.findIndex((s, i) => i >= before && s.victimDown);
  assert.ok(firstDown !== -1, 'the event stream reported it Down');
  assert.ok(firstDown - before < 2, `Down in refresh ${firstDown - before + 1} after the kill`);
  assert.match((await page.locator(`tr[data-server="127.0.0.1:${victim.port}"]`).getAttribute('class')) ?? '', /\bDown\b/);

  const shot = process.env.FLEET_VIEW_SCREENSHOT ? join(root, 'docs/fleet-view.png') : join(dir, 'fleet-view.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(existsSync(shot));
  assert.equal(problems, []);
  stream.destroy();
});

test.run();
