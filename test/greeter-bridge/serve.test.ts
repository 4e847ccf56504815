/**
 * The real bridge (`serve`) against a loopback fleet: snapshots on the queue, the get_hosts cache,
 * choices forwarded or refused, status changes, one bridge per queue, SIGTERM.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readSurveyCache } from '../../balance/cache.ts';
import { encodeChoice } from '../../greeter-bridge/choice.ts';
import { readBridgeStatus } from '../../greeter-bridge/lock.ts';
import { MessageQueue } from '../../greeter-bridge/mq.ts';
import { sendMessage } from '../../greeter-bridge/transport.ts';
import { BUSY, downAddress, IDLE, startFleetServer, stopFleet, type FleetServer } from '../../testing/greeter-bridge/fleet.ts';
import { bridgeRun, cleanup, eventually, startServe, tempDir, uniqueQueues, type Proc } from '../../testing/greeter-bridge/helpers.ts';
import { GENEROUS_MS } from '../../testing/helpers/wait.ts';

const q = uniqueQueues('serve');
const dir = tempDir();
const output = join(dir, 'choice');
const cache = join(dir, 'survey.json');
let idle: FleetServer;
let busy: FleetServer;
let down: string;
let serve: Proc;

interface JsonSnapshot {
  seq: number;
  servers: Array<{ server: string; status: string; recommended: boolean; rating: number | null; loadPerCpu: number | null }>;
}

async function watchOnce(): Promise<JsonSnapshot> {
  const r = await bridgeRun(['watch', '--once', '--timeout', '10', '--queue', q.queue, '--choice-queue', q.choiceQueue]);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 1);
  return JSON.parse(lines[0]!) as JsonSnapshot;
}

test.before(async () => {
  idle = await startFleetServer('127.0.0.2', IDLE);
  busy = await startFleetServer('127.0.0.3', BUSY);
  down = await downAddress('127.0.0.4');
  // 4 KiB messages rather than 8: every queue counts against root's RLIMIT_MSGQUEUE on this shared machine.
  serve = await startServe(q, `${idle.name} ${busy.name} ${down}`, ['--interval', '0.5', '--cache', cache, '--output', output, '--msgsize', '4096']);
});
test.after(async () => {
  await stopFleet();
  await cleanup();
});

test('snapshots list every server in configured order with status and load, the best one recommended', async () => {
  const snap = await watchOnce();
  assert.equal(snap.servers.map((s) => [s.server, s.status, s.recommended]), [
    [idle.name, 'Idle', true],
    [busy.name, 'Busy', false],
    [down, 'Down', false],
  ]);
  assert.is(snap.servers[0]!.rating, 95);
  assert.is(snap.servers[1]!.loadPerCpu, 3); // 12 / 4 CPUs
  assert.is(snap.servers[2]!.loadPerCpu, null);
});

test('the queue holds at most one snapshot while nobody reads', async () => {
  const before = Number(/"polls": (\d+)/.exec((await bridgeRun(['status', '--queue', q.queue])).stdout)?.[1]);
  // Until two more polls have replaced unread snapshots (not a fixed 1.6 s: polls slow down under load).
  const status = await eventually(async () => {
    const s = (await readBridgeStatus(q.queue)) as Record<string, number> | undefined;
    return s && s.polls! >= before + 2 && s.replacedUnread! >= 2 ? s : undefined;
  }, GENEROUS_MS, 'two more polls');
  assert.ok(status.polls! >= before + 2, `polls ${before} -> ${status.polls}`);
  assert.ok(status.replacedUnread! >= 2);
  const queue = MessageQueue.open(q.queue);
  assert.is(queue.length, 1);
  queue.close();
});

test('get_hosts reads the cache the bridge writes, and it is fresh', () => {
  const reports = readSurveyCache(cache, 5000, Date.now());
  assert.ok(reports, 'cache readable and fresh');
  assert.equal(reports!.map((r) => [`${r.server.host}:${r.server.port}`, r.reachable]), [
    [idle.name, true],
    [busy.name, true],
    [down, false],
  ]);
  assert.is(reports![0]!.ad?.hostname, 'app-127-0-0-2');
});

test('a valid choice is written where LDM reads it: the host name only, no advertise port (issue 11)', async () => {
  assert.ok(sendMessage(q.choiceQueue, encodeChoice(busy.name)));
  await eventually(() => existsSync(output) && readFileSync(output, 'utf8') === `${busy.host}\n`, GENEROUS_MS, 'the choice file');
  await serve.waitFor('stderr', new RegExp(`choice accepted: ${busy.name.replaceAll('.', '\\.')}`));
});

test('garbage, unknown and Down choices are refused with a log line and never forwarded', async () => {
  const hostile = [
    Buffer.from('rm -rf /'),
    Buffer.from('LTSP-CHOICE 1 evil.example.org'),
    Buffer.from(`LTSP-CHOICE 1 ${down}`),
    Buffer.from([0xff, 0xfe, 0, 1]),
    Buffer.alloc(512, 0x41),
  ];
  for (const m of hostile) assert.ok(sendMessage(q.choiceQueue, m));
  // Longer than the choice queue's message size: the kernel itself refuses it at the sender.
  try {
    sendMessage(q.choiceQueue, Buffer.alloc(513, 0x41));
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code: string }).code, 'ERR_MQ_IO');
    assert.match((err as Error).message, /EMSGSIZE/);
  }
  await serve.waitFor('stderr', /(choice refused.*\n.*){5}/);
  const log = serve.stderr();
  assert.match(log, /<4>choice refused: not a choice message: "rm -rf \/" \(ERR_CHOICE_REJECTED\)/);
  assert.match(log, /evil\.example\.org is not in the server list/);
  assert.match(log, new RegExp(`${down.replaceAll('.', '\\.')} is Down`));
  assert.match(log, /bytes other than printable ASCII/);
  assert.is(readFileSync(output, 'utf8'), `${busy.host}\n`);
  const status = JSON.parse((await bridgeRun(['status', '--queue', q.queue])).stdout) as Record<string, number>;
  assert.is(status.choicesRejected, 5);
  assert.is(status.choicesAccepted, 1);
});

test('a status change is logged and reaches the next snapshot', async () => {
  busy.ad = { ...busy.ad, ...IDLE, rating: 99 };
  await serve.waitFor('stderr', new RegExp(`server ${busy.name.replaceAll('.', '\\.')}: Busy -> Idle`), 30_000);
  const snap = await watchOnce();
  assert.is(snap.servers[1]!.status, 'Idle');
});

test('a second bridge on the same queue is refused, naming the first one', async () => {
  const r = await bridgeRun(['serve', '--queue', q.queue, '--choice-queue', `${q.choiceQueue}-other`, '--servers', idle.name, '--no-cache']);
  assert.is(r.code, 6); // busy (shared/exit-codes.ts)
  assert.match(r.stderr, new RegExp(`another bridge \\(pid ${serve.child.pid}\\) already serves queue ${q.queue}`));
  // Only the choice queue shared is just as much a conflict.
  const c = await bridgeRun(['serve', '--queue', `${q.queue}-other`, '--choice-queue', q.choiceQueue, '--servers', idle.name, '--no-cache']);
  assert.is(c.code, 6);
  assert.match(c.stderr, /ERR_BRIDGE_BUSY/);
});

test('SIGTERM: the bridge finishes and exits 0; a new bridge reuses the queues it left', async () => {
  assert.is(await serve.stop('SIGTERM'), 0);
  assert.match(serve.stderr(), /SIGTERM: finishing the poll in flight/);
  const again = await startServe(q, idle.name, ['--msgsize', '4096', '--remove-queues']);
  assert.match(again.stderr(), new RegExp(`queue ${q.queue}: reused, [01] stale messages dropped`));
  assert.is(await again.stop('SIGTERM'), 0);
});

test('bad flags and configuration are usage errors (exit 2) that name the value', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--interval', '0'], /--interval must be a duration from 10ms to 24h/],
    [['--interval', '5ms'], /--interval must be a duration from 10ms to 24h, got "5ms"/],
    [['--queue', 'a/b'], /may contain "\/" only as its first character/],
    [['--servers', ''], /no servers to poll/],
    [['--servers', 'bad host!'], /ERR_SERVER_LIST|not a host name/],
    [['--group', 'no-such-group-xyz'], /no group named "no-such-group-xyz"/],
    [['--output', 'relative/file'], /must be an absolute path/],
    [['--msgsize', '100'], /at least 416 bytes/],
    [['--choice-queue', q.queue], /must differ/],
  ];
  for (const [args, why] of cases) {
    const r = await bridgeRun(['serve', '--queue', q.queue, '--servers', idle.name, '--no-cache', ...args]);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, why);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const typo = await bridgeRun(['servx']);
  assert.is(typo.code, 2);
  assert.match(typo.stderr, /unknown command 'servx'/);
});

test.run();
