/**
 * The bridge (`serve`) while the thin client's DNS server hangs: every poll still ends by its
 * deadline, the greeter keeps getting snapshots (the live server Idle, the unresolvable one Down),
 * and SIGTERM stops it at once. Before resolve.ts each poll left a dns.lookup blocked in libuv's
 * thread pool, and SIGTERM's exit waited for all of them (glibc: 5 s x 3 tries each, four at a time).
 * Run in a private mount namespace with its own resolv.conf and nsswitch.conf (testing/get-hosts/hung-dns.ts).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ChildProcess } from 'node:child_process';
import { readBridgeStatus } from '../../greeter-bridge/lock.ts';
import { sampleAdvertisement } from '../../testing/sample-advertisement.ts';
import { Fleet } from '../../testing/get-hosts/fake-fleet.ts';
import { inPrivateEtc, requireRoot, startHungDns, type HungDns } from '../../testing/get-hosts/hung-dns.ts';
import { BIN, bridgeRun, cleanup, tempDir, uniqueQueues } from '../../testing/greeter-bridge/helpers.ts';
import { eventually } from '../../testing/helpers/wait.ts';

requireRoot();
const POLL_DEADLINE_MS = 300;
/** Generous for a 4x oversubscribed machine; the failure this guards against is seconds to minutes. */
const SLACK_MS = 1500;
const q = uniqueQueues('hungdns');
const dir = tempDir();
const fleet = new Fleet();
let dns: HungDns;
let serve: ChildProcess;
let stderr = '';

test.before(async () => {
  dns = await startHungDns();
  await fleet.start(2, { ad: sampleAdvertisement({ hostname: 'app2', loadavg1: 0.1, loadavg5: 0.1 }) });
  const env: NodeJS.ProcessEnv = { ...process.env, LDM_BALANCE_TIMEOUT_MS: String(POLL_DEADLINE_MS) };
  delete env.NODE_OPTIONS;
  serve = inPrivateEtc(dir, 'bridge', {
    resolvConf: `nameserver ${dns.address}\noptions timeout:5 attempts:3\n`,
    nsswitch: 'hosts: dns files\n',
    hosts: '127.0.0.1 localhost\n',
  }, process.execPath, ['--import', 'tsx', BIN, 'serve', '--queue', q.queue, '--choice-queue', q.choiceQueue, '--servers', `hung-b.example ${fleet.address(2)}`,
    '--no-cache', '--interval', '0.3', '--msgsize', '4096'], env);
  serve.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  await eventually(() => /serving /.test(stderr) || serve.exitCode !== null, 60_000, 'the bridge to start');
  assert.is(serve.exitCode, null, stderr);
});

test.after(async () => {
  if (serve && serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
  await fleet.close();
  await dns?.close();
  await cleanup();
});

test('six polls with a hung name: each one ends by its deadline, the live server stays Idle', async () => {
  // Six polls: before the fix, four hung lookups already filled libuv's thread pool.
  const status = await eventually(async () => {
    const s = await readBridgeStatus(q.queue);
    return s && Number(s.polls) >= 6 ? s : undefined;
  }, 60_000, 'six polls');
  assert.ok(dns.queries > 0, 'the hung DNS server was asked');
  assert.ok(Number(status.lastPollMs) < POLL_DEADLINE_MS + SLACK_MS, `last poll took ${status.lastPollMs} ms`);
  assert.is(status.pollErrors, 0);
  const r = await bridgeRun(['watch', '--once', '--timeout', '10', '--queue', q.queue, '--choice-queue', q.choiceQueue]);
  const snap = JSON.parse(r.stdout.trim()) as { servers: Array<{ server: string; status: string }> };
  assert.equal(snap.servers.map((s) => [s.server, s.status]), [['hung-b.example', 'Down'], [fleet.address(2), 'Idle']]);
});

test('SIGTERM stops the bridge at once, hung lookups or not', async () => {
  const started = performance.now();
  const exited = new Promise<number | null>((resolve) => serve.once('close', resolve));
  serve.kill('SIGTERM');
  const code = await exited;
  const ms = performance.now() - started;
  assert.is(code, 0, stderr);
  assert.ok(ms < POLL_DEADLINE_MS + SLACK_MS, `the bridge took ${Math.round(ms)} ms to stop`);
});

test.run();
