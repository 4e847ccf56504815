/**
 * Queues the kernel will not create: the error names the limit to raise. Real refusals: the bridge
 * under a small RLIMIT_MSGQUEUE (prlimit), and an unprivileged process asking for more than msg_max.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readKernelLimits } from '../../greeter-bridge/limits.ts';
import { bridgeRun, cleanup, ROOT, start, uniqueQueues } from '../../testing/greeter-bridge/helpers.ts';

const limits = readKernelLimits();
test.after(cleanup);

test('RLIMIT_MSGQUEUE too small: the kernel refuses (EMFILE) and the message names ulimit -q and LimitMSGQUEUE=', async () => {
  const q = uniqueQueues('rlimit');
  const p = start('prlimit', ['--msgqueue=4096', process.execPath, '--import', 'tsx', 'bin/ltsp-greeter-bridge.ts', 'serve',
    '--queue', q.queue, '--choice-queue', q.choiceQueue, '--servers', '127.0.0.1', '--no-cache'], { cwd: ROOT });
  assert.is(await p.exited, 1);
  assert.match(p.stderr(), /^<3>queue \/gbt-\S+: the kernel refused to create it \(EMFILE\): .*RLIMIT_MSGQUEUE \(now 4096 bytes\).*ulimit -q.*LimitMSGQUEUE=.*\(ERR_MQ_LIMIT\)\n$/);
});

test('more than msg_max as an unprivileged user: the kernel refuses (EINVAL), the message names fs.mqueue.msg_max', async () => {
  const program = `
    import { MessageQueue } from './greeter-bridge/mq.ts';
    import { readKernelLimits } from './greeter-bridge/limits.ts';
    const l = readKernelLimits();
    try {
      MessageQueue.create('/gbt-${process.pid}-nobody', { maxMessages: l.msgMax + 1, messageSize: 1024 }, 0o600, l);
      console.log('created');
    } catch (e) { console.log(e.code, e.limit, e.message); }`;
  const p = start('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '--import', 'tsx', '--input-type=module', '-e', program], { cwd: ROOT });
  await p.exited;
  assert.match(p.stdout(), new RegExp(`^ERR_MQ_LIMIT fs\\.mqueue\\.msg_max .*\\(EINVAL\\): over fs\\.mqueue\\.msg_max=${limits.msgMax}; raise with "sysctl -w fs\\.mqueue\\.msg_max=N"`));
});

test('sizes above the kernel limits are refused before asking, naming the sysctl', async () => {
  const q = uniqueQueues('size');
  const big = await bridgeRun(['serve', '--queue', q.queue, '--choice-queue', q.choiceQueue, '--servers', '127.0.0.1', '--no-cache', '--msgsize', String(limits.msgsizeMax + 1)]);
  assert.is(big.code, 1);
  assert.match(big.stderr, new RegExp(`larger than fs\\.mqueue\\.msgsize_max \\(${limits.msgsizeMax}\\): raise it with "sysctl -w fs\\.mqueue\\.msgsize_max=${limits.msgsizeMax + 1}"`));
  const many = await bridgeRun(['serve', '--queue', q.queue, '--choice-queue', q.choiceQueue, '--servers', '127.0.0.1', '--no-cache', '--maxmsgs', String(limits.msgMax + 1)]);
  assert.is(many.code, 1);
  assert.match(many.stderr, /more than fs\.mqueue\.msg_max/);
});

test('watch and choose without a bridge: the queue is missing, and the message says so', async () => {
  const q = uniqueQueues('missing');
  const r = await bridgeRun(['watch', '--queue', q.queue, '--choice-queue', q.choiceQueue]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /queue \/gbt-\S+ does not exist: is "ltsp-greeter-bridge serve" running/);
  const s = await bridgeRun(['status', '--queue', q.queue]);
  assert.is(s.code, 3); // not running, as every `status`
  assert.match(s.stderr, /no bridge serves queue/);
});

test.run();
