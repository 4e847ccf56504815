// A restart loses nothing (issue 17): while clients keep sending, the daemon is killed with SIGKILL
// and started again by a holder of its socket that behaves like systemd's socket unit with Restart=
// (testing/socket-holder.ts). Every request whose connection waited in the backlog while the daemon
// was down is answered after the restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestOnce } from '../../winbind-pool/client.ts';
import { ROOT, TEST_BIN } from '../../testing/winbind-pool/harness.ts';
import { SocketHolder } from '../../testing/socket-holder.ts';

const dir = mkdtempSync(join(tmpdir(), 'wbp-restart-'));
let holder: SocketHolder | undefined;
test.after(async () => {
  await holder?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Attempt {
  startedAt: number;
  outcome: string;
}

/** One request per connection (as pam_exec makes them), in `parallel` loops until `until()`. */
async function keepAsking(path: string, parallel: number, until: () => boolean): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  await Promise.all(
    Array.from({ length: parallel }, async (_, i) => {
      while (!until()) {
        const a: Attempt = { startedAt: performance.now(), outcome: 'pending' };
        attempts.push(a);
        try {
          await requestOnce(path, { op: 'getpwnam', name: `user${i}` }, 30_000);
          a.outcome = 'ok';
        } catch (err) {
          a.outcome = String((err as { code?: string }).code);
        }
      }
    }),
  );
  return attempts;
}

test('kill -9 under load: every request that waited in the backlog is answered after the restart', async () => {
  const path = join(dir, 'pool.sock');
  holder = new SocketHolder({
    sockets: [{ kind: 'unix', path, mode: 0o660 }],
    command: [process.execPath, ...TEST_BIN, 'serve', '--backend', 'blocking', '--block-ms', '5', '--min-workers', '2', '--max-workers', '4'],
    cwd: ROOT,
    restartMs: 100,
  });
  holder.start();
  await holder.waitForLog(/serving on the socket passed by systemd/);

  let stop = false;
  let diedAt = Infinity;
  holder.once('exit', () => (diedAt = performance.now()));
  const asking = keepAsking(path, 8, () => stop);
  await new Promise((r) => setTimeout(r, 500));
  holder.child!.kill('SIGKILL');
  await holder.waitForLog(/serving on the socket passed by systemd/, 2);
  const downMs = performance.now() - diedAt;
  await new Promise((r) => setTimeout(r, 500));
  stop = true;
  const attempts = await asking;

  const afterDeath = attempts.filter((a) => a.startedAt > diedAt);
  const failed = afterDeath.filter((a) => a.outcome !== 'ok');
  assert.ok(afterDeath.length >= 8, `${afterDeath.length} requests sent while down or after`);
  assert.is(failed.length, 0, `not answered: ${failed.map((a) => a.outcome).join(' ')}`);
  // Only requests the killed daemon had already read can be lost: at most one per client loop.
  const beforeLost = attempts.filter((a) => a.startedAt <= diedAt && a.outcome !== 'ok');
  assert.ok(beforeLost.length <= 8, `lost before the kill: ${beforeLost.length}`);
  assert.is(holder.starts, 2);
  console.log(
    `pool restart: down ${Math.round(downMs)} ms; ${attempts.length} requests, ${afterDeath.length} sent after the kill, all answered; ` +
      `${beforeLost.length} lost (read by the killed daemon: ${[...new Set(beforeLost.map((a) => a.outcome))].join(' ') || 'none'})`,
  );
  await holder.stop();
});

test.run();
