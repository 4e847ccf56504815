/**
 * A fleet too large for one queue message, through the real bridge: split into parts on the queue,
 * reassembled by `watch` (TypeScript) and by the C example greeter, nothing cut.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MessageQueue } from '../../greeter-bridge/mq.ts';
import { IDLE, startFleetServer, stopFleet, type FleetServer } from '../../testing/greeter-bridge/fleet.ts';
import { bridgeRun, cleanup, eventually, ROOT, start, startServe, tempDir, uniqueQueues } from '../../testing/greeter-bridge/helpers.ts';
import { GENEROUS_MS } from '../../testing/helpers/wait.ts';

const q = uniqueQueues('split');
const fleet: FleetServer[] = [];

test.before(async () => {
  for (let i = 10; i < 40; i++) fleet.push(await startFleetServer(`127.0.0.${i}`, { ...IDLE, users: i, sessions: i }));
});
test.after(async () => {
  await stopFleet();
  await cleanup();
});

test('30 servers in 512-byte messages: several parts, reassembled whole by watch and by the C greeter', async () => {
  const serve = await startServe(q, fleet.map((s) => s.name).join(','), ['--interval', '60', '--msgsize', '512', '--remove-queues']);
  const queue = MessageQueue.open(q.queue);
  const parts = await eventually(() => queue.length, GENEROUS_MS, 'the first snapshot');
  queue.close();
  assert.ok(parts >= 3, `${parts} parts waiting`);

  const watched = await bridgeRun(['watch', '--once', '--timeout', '10', '--queue', q.queue, '--choice-queue', q.choiceQueue]);
  assert.is(watched.code, 0, watched.stderr);
  const snap = JSON.parse(watched.stdout) as { servers: Array<{ server: string; users: number }> };
  assert.equal(snap.servers.map((s) => s.server), fleet.map((s) => s.name));
  assert.equal(snap.servers.map((s) => s.users), fleet.map((_, i) => i + 10));

  const dir = tempDir();
  const greeter = join(dir, 'greeter');
  execFileSync('gcc', ['-O2', '-Wall', '-o', greeter, join(ROOT, 'greeter-bridge/examples/greeter.c'), '-lrt']);
  const c = start(greeter, ['-1', '-t', '10', '-c', q.choiceQueue, q.queue]);
  assert.is(await c.exited, 0, c.stderr());
  const lines = c.stdout().split('\n').filter((l) => /^[*-] /.test(l));
  assert.equal(lines.map((l) => l.split(/\s+/)[1]), fleet.map((s) => s.name));
  await serve.stop();
});

test.run();
