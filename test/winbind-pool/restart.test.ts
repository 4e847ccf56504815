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
import { restartUnderLoad, SocketHolder } from '../../testing/socket-holder.ts';

const dir = mkdtempSync(join(tmpdir(), 'wbp-restart-'));
let holder: SocketHolder | undefined;
test.after(async () => {
  await holder?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const PARALLEL = 8;

test('kill -9 under load: every request that waited in the backlog is answered after the restart', async () => {
  const path = join(dir, 'pool.sock');
  holder = new SocketHolder({
    sockets: [{ kind: 'unix', path, mode: 0o660 }],
    command: [process.execPath, ...TEST_BIN, 'serve', '--backend', 'blocking', '--block-ms', '5', '--min-workers', '2', '--max-workers', '4'],
    cwd: ROOT,
    restartMs: 100,
  });
  // One request per connection, as pam_exec makes them.
  const r = await restartUnderLoad(holder, {
    ready: /serving on the socket passed by systemd/,
    parallel: PARALLEL,
    ask: (loop) => requestOnce(path, { op: 'getpwnam', name: `user${loop}` }, 60_000),
  });

  const failed = r.afterDeath.filter((a) => a.outcome !== 'ok');
  assert.ok(r.afterDeath.length >= 2 * PARALLEL, `${r.afterDeath.length} requests sent while down or after`);
  assert.is(failed.length, 0, `not answered: ${failed.map((a) => a.outcome).join(' ')}`);
  // Only requests the killed daemon had already read can be lost: at most one per client loop.
  assert.ok(r.lostBefore.length <= PARALLEL, `lost before the kill: ${r.lostBefore.length}`);
  assert.is(holder.starts, 2);
  console.log(
    `pool restart: down ${Math.round(r.downMs)} ms; ${r.attempts.length} requests, ${r.afterDeath.length} sent after the kill, all answered; ` +
      `${r.lostBefore.length} lost (read by the killed daemon: ${[...new Set(r.lostBefore.map((a) => a.outcome))].join(' ') || 'none'})`,
  );
  await holder.stop();
});

test.run();
