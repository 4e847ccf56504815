// The daemon and the client commands end to end, on the embedded (local) and blocking backends:
// the quick start, exit codes, the socket (mode, group, stale files, socket activation), secrecy of
// passwords, draining on SIGTERM, floods, and workers that die at start.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PoolClient, requestOnce } from '../../winbind-pool/client.ts';
import type { PoolStatus } from '../../winbind-pool/pool-status.ts';
import { BIN, cli, isAlive, outcome, ROOT, startDaemon, type Daemon } from '../../testing/winbind-pool/harness.ts';
import { eventually, GENEROUS_MS } from '../../testing/helpers/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'wbp-daemon-'));
const passwd = join(dir, 'passwd');
const group = join(dir, 'group');
const SECRET = 'Marker-Pa55word-7f3a';
let n = 0;
const sock = (): string => join(dir, `s${++n}.sock`);
const running: Daemon[] = [];

async function daemon(args: string[], opts: Parameters<typeof startDaemon>[1] = {}): Promise<Daemon> {
  const d = await startDaemon(args, opts);
  running.push(d);
  return d;
}

test.before(async () => {
  const hashed = await cli(['hash-password'], `${SECRET}\n`);
  assert.is(hashed.code, 0, hashed.stderr);
  writeFileSync(passwd, `alice:${hashed.stdout.trim()}:20001:100:Alice:/home/alice:/bin/bash\nbob:!:20002:100::/home/bob:/bin/sh\n`);
  writeFileSync(group, 'staff:x:100:\nteachers:x:200:alice\n');
});

test.after(async () => {
  await Promise.all(running.map((d) => d.stop()));
  rmSync(dir, { recursive: true, force: true });
});

const local = (socket: string): string[] => ['--socket', socket, '--backend', 'local', '--passwd-file', passwd, '--group-file', group];

test('quick start: auth through the pool on the embedded backend, with the documented exit codes', async () => {
  const s = sock();
  await daemon(local(s));
  assert.is((await cli(['auth', 'alice', '--socket', s], `${SECRET}\n`)).code, 0);
  // pam_exec expose_authtok writes the token and a NUL; the user comes from PAM_USER.
  assert.is((await cli(['auth', '--socket', s], `${SECRET}\0`, { ...process.env, PAM_USER: 'alice' })).code, 0);
  const wrong = await cli(['auth', 'alice', '--socket', s], 'nope\n');
  assert.is(wrong.code, 7);
  // No user name in an auth error line: people type passwords into the user field (issue 17).
  assert.match(wrong.stderr, /^<3>authentication failed \[wrong_password\] \(ERR_DENIED\)\n$/);
  assert.is((await cli(['auth', 'zed', '--socket', s], `${SECRET}\n`)).code, 7);
  assert.is((await cli(['auth', 'bob', '--socket', s], `${SECRET}\n`)).code, 7);
  assert.is((await cli(['auth', '--socket', s], SECRET, { ...process.env, PAM_USER: '' })).code, 2);
  assert.is((await cli(['auth', 'alice', '--socket', join(dir, 'nothing-here')], SECRET)).code, 9);
});

test('lookups print getent-style lines; not found is exit 10', async () => {
  const s = sock();
  await daemon(local(s));
  const out = async (...args: string[]): Promise<string> => {
    const r = await cli([...args, '--socket', s]);
    assert.is(r.code, 0, r.stderr);
    return r.stdout;
  };
  assert.is(await out('getpwnam', 'alice'), 'alice:*:20001:100:Alice:/home/alice:/bin/bash\n');
  assert.is(await out('getpwuid', '20002'), 'bob:*:20002:100::/home/bob:/bin/sh\n');
  assert.is(await out('getgrnam', 'teachers'), 'teachers:x:200:alice\n');
  assert.is(await out('getgrgid', '100'), 'staff:x:100:\n');
  assert.is(await out('groups', 'alice'), 'alice: 100 200\n');
  assert.is(await out('ping'), 'ok\n');
  assert.is((await cli(['getpwnam', 'zed', '--socket', s])).code, 10);
  assert.is((await cli(['getgrgid', '999', '--socket', s])).code, 10);
  assert.is((await cli(['getpwuid', 'x1', '--socket', s])).code, 2);
});

test('the bound socket has mode 0660 and the group asked for; a stale socket file is replaced', async () => {
  const s = sock();
  // A socket file nobody listens on any more, as a SIGKILLed daemon leaves behind.
  const holder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(s)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise((r) => holder.stdout.once('data', r));
  holder.kill('SIGKILL');
  await new Promise((r) => holder.on('exit', r));
  assert.ok(statSync(s).isSocket());
  await daemon([...local(s), '--socket-group', '1', '--socket-mode', '0660']);
  const st = statSync(s);
  assert.is(st.mode & 0o777, 0o660);
  assert.is(st.gid, 1);
  assert.is(await outcome(requestOnce(s, { op: 'ping' })), 'resolved');
});

test('a socket where a daemon answers is not taken over; a path that is not a socket is refused', async () => {
  const s = sock();
  await daemon(local(s));
  const second = await startDaemon(local(s), { wait: false });
  assert.is((await second.exited).code, 6); // busy: another daemon answers there
  assert.match(second.log(), /ERR_SOCKET_IN_USE/);
  const file = join(dir, 'regular-file');
  writeFileSync(file, 'keep me');
  const third = await startDaemon(local(file), { wait: false });
  assert.is((await third.exited).code, 2);
  assert.is(readFileSync(file, 'utf8'), 'keep me');
});

test('socket activation: systemd-socket-activate starts the daemon on the first connection', async () => {
  const s = sock();
  const proc = spawn('systemd-socket-activate', ['-l', s, process.execPath, ...BIN, 'serve', ...local('/nonexistent/ignored.sock')], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  proc.stderr.on('data', (d) => (log += d));
  try {
    await eventually(() => existsSync(s), GENEROUS_MS, 'the activation socket');
    // The connection waits in the backlog while the daemon starts.
    const r = await cli(['auth', 'alice', '--socket', s], `${SECRET}\n`);
    assert.is(r.code, 0, r.stderr + log);
    // The daemon's stderr may reach us after the answer did.
    await eventually(() => /serving on the socket passed by systemd/.test(log), GENEROUS_MS, 'the socket-activation log line');
    assert.not.ok(existsSync('/nonexistent/ignored.sock'));
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.on('exit', r));
  }
});

test('passwords never appear in argv, environment, logs, status or error messages', async () => {
  const s = sock();
  const d = await daemon([...local(s), '--verbose']);
  assert.is((await cli(['auth', 'alice', '--socket', s], `${SECRET}\n`)).code, 0);
  const wrong = await cli(['auth', 'alice', '--socket', s], `${SECRET}x\n`);
  const tooLong = await cli(['auth', 'alice', '--socket', s], `${SECRET}`.repeat(200));
  const status = await cli(['status', '--json', '--socket', s]);
  const pids = [d.proc.pid!, ...(JSON.parse(status.stdout) as PoolStatus).workers.map((w) => w.pid)];
  const proc = pids.flatMap((pid) => [readFileSync(`/proc/${pid}/cmdline`, 'latin1'), readFileSync(`/proc/${pid}/environ`, 'latin1')]);
  for (const text of [d.log(), wrong.stderr, tooLong.stderr, status.stdout, ...proc]) {
    assert.not.ok(text.includes(SECRET), text.slice(0, 200));
  }
  assert.is(tooLong.code, 2);
});

test('status: workers idle, busy, total, queue, max children reached, per-worker rows', async () => {
  const s = sock();
  await daemon(['--socket', s, '--backend', 'blocking', '--block-ms', '300', '--min-workers', '2', '--max-workers', '2', '--min-spare', '0']);
  const client = await PoolClient.connect(s);
  try {
    const pending = [1, 2, 3].map((uid) => client.request({ op: 'getpwuid', uid }));
    const st = (await client.request({ op: 'status' })) as PoolStatus;
    assert.is(st.busy, 2);
    assert.is(st.idle, 0);
    assert.is(st.total, 2);
    assert.is(st.queueLength, 1);
    assert.equal(st.workers.map((w) => w.state), ['busy', 'busy']);
    await Promise.all(pending);
    const text = await cli(['status', '--socket', s]);
    assert.match(text.stdout, /max children reached: *\d+/);
    assert.match(text.stdout, /idle workers: *2/);
    assert.match(text.stdout, /accepted requests: *3/);
    assert.match(text.stdout, new RegExp(`${st.workers[0]!.pid} +idle +\\d+ +\\d+ ms getpwuid`));
  } finally {
    client.close();
  }
});

test('SIGTERM drains: requests in flight and queued are answered, then the daemon and its workers exit 0', async () => {
  const s = sock();
  const d = await startDaemon(['--socket', s, '--backend', 'blocking', '--block-ms', '600', '--min-workers', '2', '--max-workers', '2', '--min-spare', '0']);
  const client = await PoolClient.connect(s);
  const answers = [1, 2, 3].map((uid) => outcome(client.request({ op: 'getpwuid', uid })));
  const st = (await requestOnce(s, { op: 'status' })) as PoolStatus;
  await eventually(async () => ((await requestOnce(s, { op: 'status' })) as PoolStatus).busy === 2, GENEROUS_MS, 'requests in flight');
  const exit = d.stop();
  assert.equal(await Promise.all(answers), ['resolved', 'resolved', 'resolved']);
  assert.equal(await exit, { code: 0, signal: null });
  client.close();
  assert.not.ok(existsSync(s), 'socket file removed');
  assert.ok(st.workers.every((w) => !isAlive(w.pid)));
});

test('a flood past the queue: every request is answered, the surplus with ERR_BUSY, nothing hangs', async () => {
  const s = sock();
  await daemon(['--socket', s, '--backend', 'blocking', '--block-ms', '50', '--max-workers', '2', '--max-queue', '4', '--max-pending-per-connection', '16']);
  const clients = await Promise.all(Array.from({ length: 8 }, () => PoolClient.connect(s)));
  try {
    const results = await Promise.all(clients.flatMap((c) => Array.from({ length: 10 }, (_, i) => outcome(c.request({ op: 'getpwuid', uid: i }, 20_000)))));
    const busy = results.filter((r) => r === 'ERR_BUSY').length;
    const ok = results.filter((r) => r === 'resolved').length;
    assert.is(busy + ok, 80, results.join());
    // At least the one worker started up front and the four queue places.
    assert.ok(busy > 0 && ok >= 5, `ok ${ok}, busy ${busy}`);
    const st = (await requestOnce(s, { op: 'status' })) as PoolStatus;
    assert.is(st.counters.rejectedBusy, busy);
    assert.is(st.queueLength, 0);
  } finally {
    for (const c of clients) c.close();
  }
});

test('workers dying at start (user file gone): answers say unavailable, spawning backs off, and the pool recovers', async () => {
  const s = sock();
  const own = join(dir, 'passwd-flaky');
  writeFileSync(own, readFileSync(passwd));
  const d = await daemon(['--socket', s, '--backend', 'local', '--passwd-file', own, '--min-workers', '1', '--min-spare', '0', '--backoff-min-ms', '200', '--backoff-max-ms', '800', '--tick-ms', '100']);
  const st0 = (await requestOnce(s, { op: 'status' })) as PoolStatus;
  renameSync(own, `${own}.away`);
  process.kill(st0.workers[0]!.pid, 'SIGKILL');
  await eventually(async () => ((await requestOnce(s, { op: 'status' })) as PoolStatus).counters.startFailures >= 2, GENEROUS_MS, 'start failures');
  const ping = await cli(['ping', '--socket', s]);
  assert.is(ping.code, 9, ping.stderr);
  assert.match(ping.stderr, /ERR_UNAVAILABLE/);
  const before = ((await requestOnce(s, { op: 'status' })) as PoolStatus).counters.spawned;
  await new Promise((r) => setTimeout(r, 2000));
  const st = (await requestOnce(s, { op: 'status' })) as PoolStatus;
  assert.ok(st.counters.spawned - before <= 5, `spawned ${st.counters.spawned - before} in 2 s`);
  renameSync(`${own}.away`, own);
  await eventually(async () => (await outcome(requestOnce(s, { op: 'ping' }))) === 'resolved', 30_000, 'recovery');
  assert.match(d.log(), /cannot read .*passwd-flaky/);
});

test('hostile lines: garbage gets ERR_BAD_REQUEST and the connection lives on; an oversized line gets ERR_TOO_LARGE and a close', async () => {
  const s = sock();
  await daemon(['--socket', s, '--backend', 'blocking', '--block-ms', '0', '--max-pending-per-connection', '2']);
  const { createConnection } = await import('node:net');
  const talk = (payload: string): Promise<string> =>
    new Promise((resolve) => {
      const c = createConnection(s);
      let got = '';
      c.on('data', (d) => (got += d));
      c.on('close', () => resolve(got));
      c.write(payload);
      setTimeout(() => c.end(), 300);
    });
  const garbage = await talk('{"op":\n{"op":"ping","id":9}\n');
  const lines = garbage.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(lines[0].error.code, 'ERR_BAD_REQUEST');
  assert.equal(lines[1], { id: 9, ok: true, result: {} });
  const huge = await talk('x'.repeat(100_000));
  assert.is(JSON.parse(huge.trim().split('\n')[0]!).error.code, 'ERR_TOO_LARGE');
  const many = await talk(Array.from({ length: 5 }, (_, i) => `{"op":"getpwnam","name":"block-200","id":${i}}\n`).join(''));
  const codes = many.trim().split('\n').map((l) => JSON.parse(l)).map((r) => (r.ok ? 'ok' : r.error.reason));
  assert.is(codes.filter((c) => c === 'connection_limit').length, 3);
});

test.run();
