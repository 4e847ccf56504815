/**
 * The C example greeter, compiled with gcc, reading what the real bridge publishes: the proof that a
 * C greeter needs only mq_receive and sscanf. Also the queue permissions as another user sees them.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureQueue } from '../../greeter-bridge/ensure.ts';
import { encodeSnapshot } from '../../greeter-bridge/format.ts';
import { readKernelLimits } from '../../greeter-bridge/limits.ts';
import { readBridgeStatus } from '../../greeter-bridge/lock.ts';
import { unlinkQueue } from '../../greeter-bridge/mq.ts';
import { publishLatest } from '../../greeter-bridge/transport.ts';
import { BUSY, downAddress, IDLE, startFleetServer, stopFleet } from '../../testing/greeter-bridge/fleet.ts';
import { cleanup, ROOT, start, startServe, tempDir, trackQueue, uniqueQueues } from '../../testing/greeter-bridge/helpers.ts';
import { largeSnapshot } from '../../testing/greeter-bridge/sample.ts';
import { GENEROUS_MS, eventually } from '../../testing/helpers/wait.ts';

const dir = tempDir();
chmodSync(dir, 0o755); // the greeter also runs as nobody below
const greeter = join(dir, 'greeter');
const AS_NOBODY = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'];

async function runGreeter(args: string[], prefix: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const command = [...prefix, greeter, ...args];
  const p = start(command[0]!, command.slice(1));
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** The greeter's server lines back as [mark, server, status] for comparison. */
function rows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((l) => /^[*-] /.test(l))
    .map((l) => l.split(/\s+/).slice(0, 3));
}

test.before(() => {
  execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', greeter, join(ROOT, 'greeter-bridge/examples/greeter.c'), '-lrt']);
});
test.after(async () => {
  await stopFleet();
  await cleanup();
});

test('the C greeter prints the list the bridge publishes, recommended server marked', async () => {
  const idle = await startFleetServer('127.0.0.2', IDLE);
  const busy = await startFleetServer('127.0.0.3', BUSY);
  const down = await downAddress('127.0.0.4');
  const q = uniqueQueues('c');
  const serve = await startServe(q, `${idle.name} ${busy.name} ${down}`, ['--interval', '60', '--msgsize', '2048', '--remove-queues']);
  // Started after the bridge's first snapshot on purpose: it asks for a refresh (-c), as a greeter
  // started after the bridge must. Waits for that publish, not a fixed time.
  await eventually(async () => Number((await readBridgeStatus(q.queue))?.published) >= 1, GENEROUS_MS, 'the first snapshot published');
  const r = await runGreeter(['-1', '-t', '10', '-c', q.choiceQueue, q.queue]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^snapshot \d+: 3 servers\n/);
  assert.equal(rows(r.stdout), [
    ['*', idle.name, 'Idle'],
    ['-', busy.name, 'Busy'],
    ['-', down, 'Down'],
  ]);
  assert.match(r.stdout, new RegExp(`\\* ${idle.name.replaceAll('.', '\\.')} +Idle +rating +95 load +0\\.03 users +2 rtt`));
  assert.match(r.stdout, /Down +rating +-1 load +-1\.00 users +-1 rtt +-1\.0\n/);
  assert.match(r.stdout, /\nend\n$/);
  await serve.stop();
});

test('the C greeter reassembles a snapshot split into parts', async () => {
  const limits = readKernelLimits();
  const name = trackQueue(`/gbt-${process.pid}-split`);
  ensureQueue({ name, size: { maxMessages: Math.min(10, limits.msgMax), messageSize: 1024 }, mode: 0o600 }, limits);
  const snap = largeSnapshot(60, 9);
  const parts = encodeSnapshot(snap, 1024, Math.min(10, limits.msgMax));
  assert.ok(parts.length >= 4, `${parts.length} parts`);
  publishLatest(name, parts);
  const r = await runGreeter(['-1', '-t', '5', name]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^snapshot 9: 60 servers\n/);
  assert.equal(
    rows(r.stdout).map((x) => x[1]),
    snap.servers.map((s) => s.server),
  );
  assert.is(rows(r.stdout).filter((x) => x[0] === '*').length, 1);
  unlinkQueue(name);
});

test('queues are 0600 by default: another user cannot read them; with --group they can', async () => {
  const idle = await startFleetServer('127.0.0.5', IDLE);
  const privateQ = uniqueQueues('priv');
  const serve = await startServe(privateQ, idle.name, ['--interval', '60', '--msgsize', '2048', '--remove-queues']);
  const denied = await runGreeter(['-1', '-t', '2', privateQ.queue], AS_NOBODY);
  assert.is(denied.code, 1);
  assert.match(denied.stderr, /mq_open .*: Permission denied/);
  await serve.stop();

  const groupQ = uniqueQueues('group');
  const shared = await startServe(groupQ, idle.name, ['--interval', '60', '--group', 'nogroup', '--msgsize', '2048', '--remove-queues']);
  const allowed = await runGreeter(['-1', '-t', '10', '-c', groupQ.choiceQueue, groupQ.queue], AS_NOBODY);
  assert.is(allowed.code, 0, allowed.stderr);
  assert.equal(rows(allowed.stdout), [['*', idle.name, 'Idle']]);
  await shared.stop();
});

test('no snapshot in time: exit 9, as the bridge', async () => {
  const limits = readKernelLimits();
  const name = trackQueue(`/gbt-${process.pid}-empty`);
  ensureQueue({ name, size: { maxMessages: Math.min(10, limits.msgMax), messageSize: 1024 }, mode: 0o600 }, limits);
  const r = await runGreeter(['-1', '-t', '1', name]);
  unlinkQueue(name);
  assert.is(r.code, 9);
});

test.run();
