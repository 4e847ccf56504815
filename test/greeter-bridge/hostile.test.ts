/**
 * The bridge under bad input and a hostile system, each case with the real `serve`: garbage on the
 * choice queue, a queue removed under it, EINTR on every queue call (strace fault injection), a
 * reader that never reads, kernel limits exhausted at start and while running. In every case: no
 * crash, no spin, no growth, and one log line per interval for what repeats.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeChoice } from '../../greeter-bridge/choice.ts';
import { MessageQueue, unlinkQueue } from '../../greeter-bridge/mq.ts';
import { sendMessage } from '../../greeter-bridge/transport.ts';
import { IDLE, startFleetServer, stopFleet, type FleetServer } from '../../testing/greeter-bridge/fleet.ts';
import { GENEROUS_MS } from '../../testing/helpers/wait.ts';
import { BIN, bridgeRun, cleanup, eventually, start, startServe, tempDir, uniqueQueues, type Proc } from '../../testing/greeter-bridge/helpers.ts';

let server: FleetServer;
test.before(async () => {
  server = await startFleetServer('127.0.0.2', IDLE);
});
test.after(async () => {
  await stopFleet();
  await cleanup();
});

const status = async (queue: string): Promise<Record<string, number>> => JSON.parse((await bridgeRun(['status', '--queue', queue])).stdout) as Record<string, number>;
const lines = (p: Proc, re: RegExp): string[] => p.stderr().split('\n').filter((l) => re.test(l));
/** The process strace runs (its only child): signals go to it, and strace exits with its status. */
function tracee(strace: Proc): number {
  const children = readFileSync(`/proc/${strace.child.pid}/task/${strace.child.pid}/children`, 'ascii').trim().split(/\s+/);
  return Number(children[0]);
}
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime in clock ticks (USER_HZ = 100)
}
async function watchOnce(q: { queue: string; choiceQueue: string }): Promise<{ seq: number }> {
  const r = await bridgeRun(['watch', '--once', '--timeout', '10', '--queue', q.queue, '--choice-queue', q.choiceQueue]);
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { seq: number };
}

test('random bytes, empty, oversized and forged choices: all refused, never forwarded, the log bounded', async () => {
  const q = uniqueQueues('garbage');
  const output = join(tempDir(), 'choice');
  const serve = await startServe(q, server.name, ['--interval', '0.5', '--output', output, '--msgsize', '1024']);
  const forged = [
    Buffer.alloc(0),
    Buffer.from(`LTSP-CHOICE 1 ${server.name}\0extra`),
    Buffer.from(`LTSP-CHOICE 2 ${server.name}`),
    Buffer.from(`LTSP-CHOICE 1 ${server.name} `),
    Buffer.from(`LTSP-CHOICE 1 ${server.name}\nLTSP-CHOICE 1 ${server.name}`),
    Buffer.from(`ltsp-choice 1 ${server.name}`),
    Buffer.from(`LTSP-CHOICE 1 ${server.name.replace('127.0.0.2', '127.0.0.2.evil')}`),
  ];
  const randoms = Array.from({ length: 300 }, () => randomBytes(Math.floor(Math.random() * 513)));
  let sent = 0;
  for (const m of [...forged, ...randoms]) {
    while (!sendMessage(q.choiceQueue, m)) await new Promise((r) => setTimeout(r, 5)); // full: the bridge reads on
    sent++;
  }
  // Longer than the queue's messages: the kernel refuses it at the sender.
  assert.throws(() => sendMessage(q.choiceQueue, Buffer.alloc(513)), /EMSGSIZE/);
  await eventually(async () => (await status(q.queue)).choicesRejected === sent, GENEROUS_MS, `${sent} refusals`, 100);
  const s = await status(q.queue);
  assert.is(s.choicesRejected, sent);
  assert.is(s.choicesAccepted, 0);
  assert.not.ok(existsSync(output), 'nothing forwarded to LDM');
  // 10 refusals logged one by one per 10 s, the rest counted: never one line per message.
  const refusals = lines(serve, /choice refused|choice messages refused/);
  assert.ok(refusals.length <= 12, `${refusals.length} log lines for ${sent} refusals`);
  assert.is(await serve.stop('SIGTERM'), 0);
  assert.match(serve.stderr(), /choice messages refused \(log limit reached\): \d+ in the last \d+ s/);
});

test('a queue removed under a running bridge is made again at the next poll, once, and works', async () => {
  const q = uniqueQueues('removed');
  const output = join(tempDir(), 'choice');
  const serve = await startServe(q, server.name, ['--interval', '0.3', '--output', output, '--msgsize', '1024']);
  unlinkQueue(q.choiceQueue);
  unlinkQueue(q.queue);
  await serve.waitFor('stderr', new RegExp(`queue ${q.choiceQueue} disappeared: created it again`), GENEROUS_MS);
  await serve.waitFor('stderr', new RegExp(`queue ${q.queue} disappeared: creating it again`), GENEROUS_MS);
  assert.ok(sendMessage(q.choiceQueue, encodeChoice(server.name)));
  await eventually(() => existsSync(output) && readFileSync(output, 'utf8') === `${server.host}\n`, GENEROUS_MS, 'the choice through the new queue'); // the host name only: what LDM connects to
  await watchOnce(q);
  const polled = (await status(q.queue)).polls!;
  await eventually(async () => (await status(q.queue)).polls! >= polled + 3, GENEROUS_MS, 'three more polls', 100); // nothing more to say
  assert.is(lines(serve, /disappeared/).length, 2, serve.stderr());
  assert.is(await serve.stop('SIGTERM'), 0);
  assert.not.match(serve.stderr(), /<3>/);
});

test('EINTR on every queue call (strace fault injection, every other call): the bridge and its reader retry and work', async () => {
  const q = uniqueQueues('eintr');
  const output = join(tempDir(), 'choice');
  const calls = 'mq_open,mq_unlink,mq_timedsend,mq_timedreceive,mq_getsetattr';
  const strace = ['-f', '-qq', '--seccomp-bpf', '-o', '/dev/null', '-e', `trace=${calls}`, '-e', `inject=${calls}:error=EINTR:when=1+2`, '--'];
  const serve = start('strace', [...strace, process.execPath, '--import', 'tsx', BIN, 'serve', '--queue', q.queue, '--choice-queue', q.choiceQueue,
    '--servers', server.name, '--interval', '0.3', '--no-cache', '--remove-queues', '--output', output, '--msgsize', '1024'],
  { env: { ...process.env, LDM_BALANCE_TIMEOUT_MS: '1500' } });
  await serve.waitFor('stderr', /serving /, 30_000);
  const watch = start('strace', [...strace, process.execPath, '--import', 'tsx', BIN, 'watch', '--once', '--timeout', '20', '--queue', q.queue, '--choice-queue', q.choiceQueue]);
  assert.is(await watch.exited, 0, watch.stderr());
  assert.match(watch.stdout(), /"servers":\[\{"server":"127\.0\.0\.2:\d+","status":"Idle"/);
  assert.ok(sendMessage(q.choiceQueue, encodeChoice(server.name)));
  await eventually(() => existsSync(output), GENEROUS_MS, 'the choice file');
  const s = await status(q.queue);
  assert.ok(s.published! >= 2 && s.publishErrors === 0, JSON.stringify(s));
  process.kill(tracee(serve), 'SIGTERM');
  assert.is(await serve.exited, 0, serve.stderr());
  assert.not.match(serve.stderr(), /<[34]>/);
});

test('a reader that opens the snapshot queue and never reads: one snapshot waits, the bridge neither spins nor grows', async () => {
  const q = uniqueQueues('noread');
  const serve = await startServe(q, server.name, ['--interval', '0.1', '--msgsize', '1024', '--remove-queues']);
  const reader = start(process.execPath, ['-e', `
    const k = require('koffi'); const o = k.load('libc.so.6').func('int mq_open(const char *, int, ...)');
    if (o('${q.queue}', 2) < 0) process.exit(1); console.log('open'); setInterval(() => {}, 1 << 30);`]);
  await reader.waitFor('stdout', /open/);
  const pid = serve.child.pid!;
  const before = { cpu: cpuMs(pid), polls: (await status(q.queue)).polls! };
  const started = Date.now();
  await new Promise((r) => setTimeout(r, 3000));
  const wallMs = Date.now() - started;
  const after = { cpu: cpuMs(pid), polls: (await status(q.queue)).polls! };
  const queue = MessageQueue.open(q.queue);
  try {
    assert.is(queue.length, 1, 'only the latest snapshot waits');
  } finally {
    queue.close();
  }
  const polls = after.polls - before.polls;
  assert.ok(polls >= 5, `only ${polls} polls in ${wallMs} ms`);
  // A spinning loop burns the whole wall time; ten polls a second cost a few ms each.
  assert.ok(after.cpu - before.cpu < wallMs / 2, `${after.cpu - before.cpu} ms of CPU in ${wallMs} ms for ${polls} polls`);
  const replaced = (await status(q.queue)).replacedUnread!;
  assert.ok(replaced >= polls - 1, `replaced ${replaced}`);
  assert.is(await serve.stop('SIGTERM'), 0);
  await reader.stop('SIGKILL');
});

test('kernel limits exhausted at start: the error names the limit and the sysctl (queues_max, injected ENOSPC)', async () => {
  const q = uniqueQueues('enospc');
  // The first mq_open looks for an old queue (ENOENT); the second creates it: that one gets ENOSPC.
  const p = start('strace', ['-f', '-qq', '--seccomp-bpf', '-o', '/dev/null', '-e', 'trace=mq_open', '-e', 'inject=mq_open:error=ENOSPC:when=2', '--',
    process.execPath, '--import', 'tsx', BIN, 'serve', '--queue', q.queue, '--choice-queue', q.choiceQueue, '--servers', server.name, '--no-cache']);
  assert.is(await p.exited, 1);
  assert.match(p.stderr(), /^<3>queue \/gbt-\S+: the kernel refused to create it \(ENOSPC\): fs\.mqueue\.queues_max \(\d+\) queues already exist; raise it with "sysctl -w fs\.mqueue\.queues_max=N" \(ERR_MQ_LIMIT\)\n$/m);
});

test('kernel limits exhausted while running (RLIMIT_MSGQUEUE lowered, snapshot queue removed): one log line per interval, then it recovers', async () => {
  const q = uniqueQueues('emfile');
  const serve = await startServe(q, server.name, ['--interval', '0.2', '--msgsize', '1024', '--remove-queues']);
  const pid = String(serve.child.pid);
  const soft = execFileSync('prlimit', ['--pid', pid, '--msgqueue', '--raw', '--noheadings', '--output=SOFT'], { encoding: 'utf8' }).trim();
  execFileSync('prlimit', ['--pid', pid, '--msgqueue=1:']); // the soft limit only: raising a hard one back needs CAP_SYS_RESOURCE
  unlinkQueue(q.queue);
  await serve.waitFor('stderr', /publishing snapshot \d+ failed: .*EMFILE.*ulimit -q/, GENEROUS_MS);
  await eventually(async () => (await status(q.queue)).publishErrors! >= 5, GENEROUS_MS, 'five failing polls', 100);
  assert.is(lines(serve, /publishing snapshot \d+ failed/).length, 1, serve.stderr());
  execFileSync('prlimit', ['--pid', pid, `--msgqueue=${soft}:`]);
  await watchOnce(q);
  assert.is(await serve.stop('SIGTERM'), 0);
  assert.match(serve.stderr(), /snapshot publishes failed: \d+ in the last \d+ s/);
});

test.run();
