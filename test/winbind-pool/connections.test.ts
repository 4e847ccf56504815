// Connections to the daemon's socket under a flood of idle ones (issue 17): capped per peer uid
// (SO_PEERCRED), fairly shared when the total is reached, cut after a short idle time. The hogs are
// real client processes running under other uids, as any member of the socket's group could.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestOnce } from '../../winbind-pool/client.ts';
import { outcome, startDaemon, type Daemon } from '../../testing/winbind-pool/harness.ts';
import { eventually, GENEROUS_MS } from '../../testing/helpers/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'wbp-conn-'));
chmodSync(dir, 0o755); // the hogs run as other users
const running: Daemon[] = [];
const hogs = new Set<ChildProcess>();
let n = 0;
const sock = (): string => join(dir, `c${++n}.sock`);

test.after(async () => {
  for (const h of hogs) h.kill('SIGKILL');
  await Promise.all(running.map((d) => d.stop()));
  rmSync(dir, { recursive: true, force: true });
});

interface Hog {
  /** Connections the daemon kept open, and those it refused with an answer. */
  held(): number;
  refused(): number;
  closedByDaemon(): number;
  stop(): void;
}

/**
 * A client process under `uid` that opens `count` connections, asks `status` once on each (the
 * answer shows whether the daemon admitted it) and then leaves them idle. It reports each outcome
 * on stdout: "held" (status answered), "refused" (ERR_BUSY), "closed" (the daemon closed a held one).
 */
function hog(path: string, uid: number, count: number): Promise<Hog> {
  const code = `
    const net = require('node:net');
    for (let i = 0; i < ${count}; i++) {
      const s = net.createConnection(${JSON.stringify(path)});
      let state = 'connecting', data = '';
      s.on('connect', () => s.write('{"op":"status"}\\n'));
      s.on('data', (d) => {
        data += d;
        if (state !== 'connecting') return;
        if (data.includes('ERR_BUSY')) { state = 'refused'; console.log('refused'); }
        else if (data.includes('"ok":true')) { state = 'held'; console.log('held'); }
      });
      s.on('close', () => { if (state === 'held') console.log('closed'); state = 'gone'; });
      s.on('error', () => {});
    }
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', code], { uid, gid: uid, stdio: ['ignore', 'pipe', 'inherit'] });
  hogs.add(child);
  const counts = { held: 0, refused: 0, closed: 0 };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    for (const word of d.split('\n')) if (word in counts) counts[word as keyof typeof counts]++;
  });
  const h: Hog = {
    held: () => counts.held,
    refused: () => counts.refused,
    closedByDaemon: () => counts.closed,
    stop: () => child.kill('SIGKILL'),
  };
  return eventually(() => counts.held + counts.refused === count, 20_000, `uid ${uid}'s ${count} connections to settle`).then(() => h);
}

async function daemon(extra: string[]): Promise<{ d: Daemon; path: string }> {
  const path = sock();
  const d = await startDaemon(['--socket', path, '--socket-mode', '0666', '--backend', 'blocking', '--block-ms', '0', ...extra]);
  running.push(d);
  return { d, path };
}

test('one uid is capped at its share; another uid and root still connect when the total is in use', async () => {
  const { d, path } = await daemon(['--max-connections', '8', '--max-connections-per-uid', '4', '--connection-idle-ms', '60000']);
  const a = await hog(path, 65534, 10);
  assert.is(a.held(), 4, 'uid 65534 keeps its 4');
  assert.is(a.refused(), 6, 'and is answered ERR_BUSY beyond them');
  const b = await hog(path, 65533, 4);
  assert.is(b.held(), 4, 'another uid gets its own 4: the total (8) is now in use');
  // Root (PAM) and a third uid still get answers: each takes an idle connection of a biggest holder.
  assert.is(await outcome(requestOnce(path, { op: 'ping' }, 10_000)), 'resolved');
  const c = await hog(path, 65532, 1);
  assert.is(c.held(), 1, 'a third uid is admitted too');
  await eventually(() => a.closedByDaemon() + b.closedByDaemon() >= 1, GENEROUS_MS, 'an idle hog connection to be closed for them');
  for (const h of [a, b, c]) h.stop();
  await d.stop(); // flushes the summary of refusals
  assert.match(d.log(), /refused connections \(uid 65534 already holds 4\): 6 in the last/);
});

test('idle connections are cut after the idle timeout', async () => {
  const { path } = await daemon(['--connection-idle-ms', '1000']);
  const started = Date.now();
  const a = await hog(path, 65534, 3);
  assert.is(a.held(), 3);
  await eventually(() => a.closedByDaemon() === 3, 20_000, 'the idle connections to be closed');
  assert.ok(Date.now() - started < 15_000);
  a.stop();
});

test.run();
