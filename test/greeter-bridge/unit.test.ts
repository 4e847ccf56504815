/**
 * The bridge as its systemd unit runs it: the bundle, the unit's Node flags, exactly the unit's
 * capability bounding set (setpriv), the kernel's W^X rule that MemoryDenyWriteExecute=yes enforces
 * (PR_SET_MDWE), and a real notify socket with a watchdog. READY=1 must mean "a snapshot is there".
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MessageQueue } from '../../greeter-bridge/mq.ts';
import { IDLE, startFleetServer, stopFleet, type FleetServer } from '../../testing/greeter-bridge/fleet.ts';
import { bundledBridge, cleanup, ROOT, start, tempDir, uniqueQueues } from '../../testing/greeter-bridge/helpers.ts';
import { eventually, GENEROUS_MS } from '../../testing/helpers/wait.ts';
import { notifySocket, type NotifySocket } from '../../testing/systemd/notify-socket.ts';
import { bridgeExecStart, unitSettings } from '../../testing/systemd/unit-file.ts';

const unit = unitSettings(join(ROOT, 'greeter-bridge/systemd/ltsp-greeter-bridge.service'));
let bridge: { script: string; env: NodeJS.ProcessEnv };
let mdwe: string[] = [];
let server: FleetServer;
let sock: NotifySocket;

test.before(async () => {
  bridge = await bundledBridge();
  const bin = join(tempDir(), 'mdwe');
  execFileSync('gcc', ['-O2', '-Wall', '-o', bin, join(ROOT, 'testing/systemd/mdwe.c')]);
  // A kernel before 6.3 has no PR_SET_MDWE (exit 125): then the rest still runs, without W^X.
  try {
    execFileSync(bin, ['true']);
    mdwe = [bin];
  } catch {
    console.log('# this kernel has no PR_SET_MDWE: running without the W^X check');
  }
  server = await startFleetServer('127.0.0.2', IDLE);
  sock = notifySocket();
});
test.after(async () => {
  sock.close();
  await stopFleet();
  await cleanup();
});

/** The capability set of the unit as setpriv arguments: nothing inheritable, only these bounded. */
function capabilityArgs(): string[] {
  const caps = unit.get('CapabilityBoundingSet')![0]!.split(/\s+/).map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`);
  return ['--inh-caps=-all', `--bounding-set=-all,${caps.join(',')}`];
}

test('READY=1 only once a snapshot is on the queue; keep-alives; STOPPING=1 and exit 0 on SIGTERM; confined as the unit says', async () => {
  const q = uniqueQueues('unit');
  // A squatter's queue under the snapshot name: another user's, 0600, the wrong size. The bridge
  // cannot even open it without CAP_DAC_OVERRIDE, and must still replace it.
  execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e',
    `const l = require('koffi').load('libc.so.6'); const o = l.func('int mq_open(const char *, int, ...)');
     if (o('${q.queue}', 0o102, 'unsigned int', 0o600, 'void *', null) < 0) process.exit(1);`], { env: bridge.env });
  const { nodeFlags } = bridgeExecStart();
  const watchdogUsec = 3_000_000;
  const p = start('setpriv', [...capabilityArgs(), ...mdwe, process.execPath, ...nodeFlags, bridge.script, 'serve',
    '--queue', q.queue, '--choice-queue', q.choiceQueue, '--servers', server.name, '--interval', '30', '--no-cache', '--remove-queues', '--msgsize', '4096'],
  { env: { ...bridge.env, NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: String(watchdogUsec), LDM_BALANCE_TIMEOUT_MS: '1500' } });
  const ready = await sock.waitFor(/^READY=1/);
  const snapshotQueue = MessageQueue.open(q.queue);
  try {
    assert.ok(snapshotQueue.length >= 1, 'a snapshot waits when READY=1 arrives');
    assert.equal(snapshotQueue.owner(), { uid: 0, gid: 0, mode: 0o600 });
  } finally {
    snapshotQueue.close();
  }
  assert.match(ready, /^READY=1\nSTATUS=serving /);
  assert.match(p.stderr(), new RegExp(`queue ${q.queue}: recreated \\(its mode does not let this bridge open it\\)`));

  const status = readFileSync(`/proc/${p.child.pid}/status`, 'utf8');
  assert.match(status, /^CapEff:\s+0000000000000001$/m, 'CAP_CHOWN and nothing else');
  assert.match(status, /^CapBnd:\s+0000000000000001$/m);

  // One poll in 30 s: after the first, the keep-alives come from the timer at half the watchdog period.
  const keepAlives = (): number => sock.messages.filter((m) => m === 'WATCHDOG=1').length;
  await eventually(() => keepAlives() >= 3, GENEROUS_MS, 'three keep-alives', 100);
  await sock.waitFor(/^STATUS=1 servers, snapshot \d+/);

  assert.is(await p.stop('SIGTERM'), 0, p.stderr());
  assert.match(await sock.waitFor(/^STOPPING=1/), /finishing the poll in flight/);
  assert.not.match(p.stderr(), /<3>/);
  assert.throws(() => MessageQueue.open(q.queue), /does not exist/);
});

test.run();
