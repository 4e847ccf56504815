/**
 * The real daemon, started as a process on 127.0.0.1 and an ephemeral port, queried over real TCP
 * (Node and `nc`) and UDP sockets.
 */
import { execFile, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchStatus } from '../../advertise/status.ts';
import { parseAdvertisement, parseReply } from '../../shared/wire/parse.ts';
import { buildQuery, QUERY_MAGIC } from '../../shared/wire/udp-query.ts';
import { BIN, fetchTcp, queryUdp, ROOT, startDaemon, stopAll, tempDir, within, type Daemon } from '../../testing/advertise/helpers.ts';
import { GENEROUS_MS, eventually } from '../../testing/helpers/wait.ts';
import { writeUtmp } from '../../testing/advertise/utmp-fixture.ts';

const run = promisify(execFile);

test.after(stopAll);

let shared: Daemon;
let utmpDir: string;

test.before(async () => {
  utmpDir = tempDir();
  writeUtmp(join(utmpDir, 'utmp'), [{ user: 'alice' }, { user: 'bob', tvSec: Math.floor(Date.now() / 1000) - 7200 }, { user: 'alice' }]);
  shared = await startDaemon({ args: ['--utmp', join(utmpDir, 'utmp'), '--hostname', 'app1.test', '--weight', '70'] });
});

test('TCP: the full document with user names, then close', async () => {
  const ad = parseAdvertisement(await fetchTcp(shared.port));
  assert.is(ad.hostname, 'app1.test');
  assert.is(ad.weight, 70);
  assert.is(ad.cpus, 4);
  assert.is(ad.sessions, 3);
  assert.is(ad.users, 2);
  assert.is(ad.loginsLast60s, 2);
  assert.equal(ad.userNames, ['alice', 'bob', 'alice']);
});

test('TCP: `nc 127.0.0.1 PORT` prints a valid document, also when it sends a line first', async () => {
  const quiet = spawnSync('nc', ['127.0.0.1', String(shared.port)], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
  assert.is(parseAdvertisement(quiet.stdout).hostname, 'app1.test');
  const chatty = spawnSync('nc', ['127.0.0.1', String(shared.port)], { input: 'hello\n', timeout: 10_000 });
  assert.is(parseAdvertisement(chatty.stdout).hostname, 'app1.test');
});

test('UDP: a padded query gets the document, without user names, never larger than the query', async () => {
  const query = buildQuery();
  const replies = await queryUdp(shared.port, query);
  assert.is(replies.length, 1);
  assert.ok(replies[0]!.length <= query.length);
  const reply = parseReply(replies[0]!);
  assert.is(reply.kind, 'document');
  if (reply.kind === 'document') {
    assert.is(reply.ad.sessions, 3);
    assert.is(reply.ad.userNames, undefined);
  }
  assert.not.ok(replies[0]!.includes('alice'));
});

test('UDP: a short query gets the tiny retry-over-TCP answer; a shorter one gets nothing', async () => {
  const short = buildQuery(64);
  const replies = await queryUdp(shared.port, short);
  assert.is(replies.length, 1);
  assert.ok(replies[0]!.length <= 64);
  assert.equal(parseReply(replies[0]!), { kind: 'retry-tcp' });
  assert.equal(await queryUdp(shared.port, Buffer.from(QUERY_MAGIC), { expect: 0 }), []);
});

test('UDP: garbage, empty and oversized datagrams get nothing and are counted', async () => {
  const before = (await fetchStatus(shared.statusSocket)).counters;
  assert.equal(await queryUdp(shared.port, Buffer.from('GET / HTTP/1.0\r\n\r\n'.padEnd(1200)), { expect: 0 }), []);
  assert.equal(await queryUdp(shared.port, Buffer.alloc(0), { expect: 0 }), []);
  assert.equal(await queryUdp(shared.port, buildQuery(9000), { expect: 0 }), []);
  const after = (await fetchStatus(shared.statusSocket)).counters;
  assert.is(after.udpMalformed! - before.udpMalformed!, 2);
  assert.is(after.udpOversized! - before.udpOversized!, 1);
});

test('`status` prints the counters; --json is the raw report', async () => {
  const text = await run(process.execPath, ['--import', 'tsx', BIN, 'status', '--status-socket', shared.statusSocket], { cwd: ROOT });
  assert.match(text.stdout, /^udp_served\s+\d+$/m);
  assert.match(text.stdout, /^tcp_served\s+\d+$/m);
  assert.match(text.stdout, /^sessions\s+3$/m);
  assert.match(text.stdout, /^state\s+accepting$/m);
  const json = JSON.parse((await run(process.execPath, ['--import', 'tsx', BIN, 'status', '--json', '--status-socket', shared.statusSocket], { cwd: ROOT })).stdout);
  assert.ok(json.counters.udpServed >= 1);
  assert.ok(json.counters.tcpServed >= 3);
  assert.is(json.counters.udpRetryTcp, 1);
  assert.is(json.counters.udpTooShort, 1);
});

test('status with no daemon: exit code 3 and one clear line', async () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', BIN, 'status', '--status-socket', join(tempDir(), 'none.sock')], { cwd: ROOT });
  assert.is(r.status, 3);
  assert.match(r.stderr.toString(), /^<3>no advertise daemon answers on .*\(ERR_NOT_RUNNING\)\n$/);
});

test('bad flags and a bad config file: exit code 2 before binding anything', async () => {
  const flag = spawnSync(process.execPath, ['--import', 'tsx', BIN, '--weight', '-5'], { cwd: ROOT });
  assert.is(flag.status, 2);
  assert.match(flag.stderr.toString(), /--weight must be a whole number from 0 to 10000, got "-5" \(ERR_USAGE\)/);
  const conf = join(tempDir(), 'bad.conf');
  writeFileSync(conf, 'weigth=5\n');
  const file = spawnSync(process.execPath, ['--import', 'tsx', BIN, '--config', conf, '--port', '0', '--address', '127.0.0.1'], { cwd: ROOT });
  assert.is(file.status, 2);
  assert.match(file.stderr.toString(), /unknown key "weigth".*\(ERR_CONFIG\)/);
});

test('per-source rate limit: the burst is answered, the rest is counted and dropped', async () => {
  const d = await startDaemon({ args: ['--rate-limit', '1', '--rate-burst', '3'] });
  const { createSocket } = await import('node:dgram');
  const socket = createSocket('udp4');
  let replies = 0;
  socket.on('message', () => replies++);
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  for (let i = 0; i < 10; i++) socket.send(buildQuery(), d.port, '127.0.0.1');
  // Until the daemon has counted all ten and every reply it sent has arrived (no fixed sleep).
  await eventually(async () => {
    const c = (await fetchStatus(d.statusSocket)).counters;
    return c.udpServed! + c.udpRateLimited! >= 10 && replies >= c.udpServed!;
  }, GENEROUS_MS, 'the ten datagrams counted and their replies received');
  socket.close();
  assert.is(replies, 3);
  const other = await queryUdp(d.port, buildQuery(), { bindAddress: '127.0.0.2' });
  assert.is(other.length, 1, 'another source is not limited');
  const c = (await fetchStatus(d.statusSocket)).counters;
  assert.is(c.udpRateLimited, 7);
  assert.is(c.udpServed, 4);
  assert.is(await d.stop(), 0);
});

test('SIGHUP reloads the config file: drain without restart; a broken file keeps the settings', async () => {
  const conf = join(tempDir(), 'advertise.conf');
  writeFileSync(conf, 'drain=false\nweight=100\n');
  const d = await startDaemon({ args: ['--config', conf] });
  const stateNow = async () => parseAdvertisement(await fetchTcp(d.port));
  assert.is((await stateNow()).state, 'accepting');
  writeFileSync(conf, 'drain=true\nweight=20\n');
  d.child.kill('SIGHUP');
  await d.waitForLog(/reloaded .*state draining, weight 20/);
  const ad = await stateNow();
  assert.is(ad.state, 'draining');
  assert.is(ad.weight, 20);
  const udp = parseReply((await queryUdp(d.port))[0]!);
  assert.is(udp.kind === 'document' && udp.ad.state, 'draining');
  writeFileSync(conf, 'drain=perhaps\n');
  d.child.kill('SIGHUP');
  await d.waitForLog(/SIGHUP: .*drain must be true or false.*keeping the previous settings/);
  assert.is((await stateNow()).state, 'draining');
  const c = (await fetchStatus(d.statusSocket)).counters;
  assert.is(c.configReloads, 1);
  assert.is(c.configErrors, 1);
  assert.is(await d.stop(), 0);
});

function openIdle(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // allowHalfOpen + paused: the client neither reads nor answers the daemon's FIN.
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    s.pause();
    s.on('error', () => {});
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

test('max connections: the excess is closed at once and counted; write timeout closes idle clients', async () => {
  const d = await startDaemon({ args: ['--max-connections', '5', '--write-timeout', '1500'] });
  const held = await Promise.all(Array.from({ length: 5 }, () => openIdle(d.port)));
  await eventually(async () => (await fetchStatus(d.statusSocket)).openTcpConnections === 5, GENEROUS_MS, 'five connections accepted');
  const extra = await Promise.all(Array.from({ length: 4 }, () => fetchTcp(d.port).catch(() => Buffer.alloc(0))));
  for (const b of extra) assert.is(b.length, 0, 'a refused connection gets no document');
  const mid = await fetchStatus(d.statusSocket);
  assert.is(mid.counters.tcpRefused, 4);
  assert.is(mid.openTcpConnections, 5);
  // The write timeout (1.5 s) closes the idle five: wait for that, not for a fixed 1.8 s.
  const after = await eventually(async () => {
    const s = await fetchStatus(d.statusSocket);
    return s.counters.tcpTimedOut === 5 && s.openTcpConnections === 0 ? s : undefined;
  }, GENEROUS_MS, 'the idle connections timed out');
  assert.is(after.counters.tcpTimedOut, 5);
  assert.is(after.openTcpConnections, 0);
  assert.ok((await fetchTcp(d.port)).length > 0, 'served again once the idle ones are gone');
  for (const s of held) s.destroy();
  assert.is(await d.stop(), 0);
});

test('SIGTERM: stops accepting, finishes the open connection, exits 0', async () => {
  const d = await startDaemon({ args: ['--write-timeout', '3000'] });
  const slow = await openIdle(d.port);
  const chunks: Buffer[] = [];
  const ended = new Promise<void>((r) => slow.on('end', () => r()));
  slow.on('data', (c: Buffer) => chunks.push(c));
  d.child.kill('SIGTERM');
  await d.waitForLog(/SIGTERM: no new queries; finishing 1 open TCP connection/);
  await fetchTcp(d.port).then(
    () => assert.unreachable('no new connection after SIGTERM'),
    (err) => assert.is(err.code, 'ECONNREFUSED'),
  );
  slow.resume();
  await ended;
  slow.end();
  assert.is(parseAdvertisement(Buffer.concat(chunks)).hostname.length > 0, true);
  assert.is(await within(d.exited, 20_000, 'daemon exit'), 0);
  assert.match(d.log(), /stopped after/);
});

test('--interface: clients outside its subnets get nothing (UDP) or a closed connection (TCP)', async () => {
  const d = await startDaemon({ args: ['--interface', 'lo'] });
  assert.is((await queryUdp(d.port)).length, 1, 'lo has 127.0.0.1/8');
  await d.stop();
  const none = await startDaemon({ args: ['--interface', 'nosuchif0'] });
  assert.equal(await queryUdp(none.port, undefined, { expect: 0 }), []);
  assert.is((await fetchTcp(none.port).catch(() => Buffer.alloc(0))).length, 0);
  const c = (await fetchStatus(none.statusSocket)).counters;
  assert.is(c.udpRejected, 1);
  assert.is(c.tcpRejected, 1);
  assert.match(none.log(), /nosuchif0 has no address/);
  await none.stop();
});

test('SIGUSR1 logs the counters', async () => {
  shared.child.kill('SIGUSR1');
  await shared.waitForLog(/<6>status: .*udp_served \d+/);
});

test('the shared daemon stops with 0', async () => {
  assert.is(await shared.stop(), 0);
});

test.run();
