/**
 * The winbind pool's summary reaches the thin clients' view: the real pool daemon writes its summary
 * file, the real advertise daemon advertises it as <pool>, and a client parses it. A stale or broken
 * file is never advertised; the wire format stays readable without it.
 */
import { test } from 'uvu';
import { eventually, GENEROUS_MS } from '../../testing/helpers/wait.ts';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFileAtomic } from '../../shared/fs/atomic-write.ts';
import { join } from 'node:path';
import { fetchTcp, queryUdp, startDaemon, stopAll, tempDir } from '../../testing/advertise/helpers.ts';
import { cli, startDaemon as startPool, type Daemon as PoolDaemon } from '../../testing/winbind-pool/harness.ts';
import { parseAdvertisement } from '../../shared/wire/parse.ts';
import { renderAdvertisement } from '../../shared/wire/render.ts';
import { QUERY_PADDED_BYTES } from '../../shared/wire/udp-query.ts';
import { sampleAdvertisement } from '../../testing/sample-advertisement.ts';

let pool: PoolDaemon | undefined;
test.after(async () => {
  await pool?.stop(); // also after a failed assertion: a live child would keep this file running
  await stopAll();
});


test('the pool writes its summary, advertise sends it as <pool>, the client reads it', async () => {
  const dir = tempDir('pool-summary-');
  const hashed = await cli(['hash-password'], 'pw-1234567\n');
  writeFileSync(join(dir, 'passwd'), `alice:${hashed.stdout.trim()}:20001:100::/home/alice:/bin/sh\n`);
  const summary = join(dir, 'summary.json');
  pool = await startPool(['--socket', join(dir, 'pool.sock'), '--backend', 'local', '--passwd-file', join(dir, 'passwd'), '--summary-file', summary, '--max-workers', '3']);
  const d = await startDaemon({ args: ['--pool-summary', summary, '--sample-interval', '200'] });
  const ad = await eventually(async () => parseAdvertisement(await fetchTcp(d.port)).pool, GENEROUS_MS, 'a document with <pool>');
  assert.is(ad.max, 3);
  assert.ok(ad.workers >= 1 && ad.busy <= ad.workers, JSON.stringify(ad));
  const udp = parseAdvertisement((await queryUdp(d.port))[0]!);
  assert.equal(udp.pool, ad, 'the UDP answer carries it too');
  await pool.stop();
  // The pool removes its file when it stops: the next samples advertise no pool.
  await eventually(async () => !parseAdvertisement(await fetchTcp(d.port)).pool, GENEROUS_MS, 'no <pool> after the pool stopped');
});

test('a stale or broken summary is not advertised; a broken one is logged once', async () => {
  const dir = tempDir('pool-summary-bad-');
  const summary = join(dir, 'summary.json');
  writeFileSync(summary, JSON.stringify({ at: Date.now() - 60_000, workers: 2, busy: 1, max: 4, queue: 0 }));
  const d = await startDaemon({ args: ['--pool-summary', summary, '--sample-interval', '200'] });
  assert.is(parseAdvertisement(await fetchTcp(d.port)).pool, undefined, 'stale');
  writeFileSync(summary, JSON.stringify({ at: Date.now() + 60_000, workers: 2, busy: 5, max: 4, queue: 0 }));
  await d.waitForLog(/<4>pool summary not advertised: .*more busy workers than workers \(ERR_POOL_SUMMARY\)/);
  writeFileSync(summary, '\x00\x01 garbage');
  await new Promise((r) => setTimeout(r, 1000)); // several samples of the same failure streak
  assert.is(d.log().match(/pool summary not advertised/g)?.length, 1, 'once per streak');
  assert.is(parseAdvertisement(await fetchTcp(d.port)).pool, undefined);
});

const summaryText = (workers: number) => JSON.stringify({ at: Date.now(), workers, busy: 0, max: 8, queue: 0 });

test('the summary is read when the file changes, not at every sample', async () => {
  const dir = tempDir('pool-summary-watch-');
  const summary = join(dir, 'summary.json');
  const trace = join(dir, 'trace');
  writeFileSync(summary, summaryText(2));
  const d = await startDaemon({
    wrapper: ['strace', '-f', '-qq', '-e', 'trace=openat', '-o', trace, '--'],
    args: ['--pool-summary', summary, '--sample-interval', '100'],
  });
  await eventually(async () => parseAdvertisement(await fetchTcp(d.port)).pool?.workers === 2, GENEROUS_MS, '<pool> advertised');
  await new Promise((r) => setTimeout(r, 1500)); // 15 samples with no change
  // SIGTERM to strace would only detach it: stop the daemon itself; strace ends with it.
  const daemonPid = Number(readFileSync(`/proc/${d.child.pid}/task/${d.child.pid}/children`, 'utf8').trim().split(' ')[0]);
  process.kill(daemonPid, 'SIGTERM');
  await d.exited;
  const opens = readFileSync(trace, 'utf8').split('\n').filter((l) => l.includes(summary)).length;
  assert.ok(opens >= 1 && opens <= 2, `${opens} opens of the summary in 15+ samples`);
});

test('a summary replaced by rename, or a runtime directory made again, is followed', async () => {
  const dir = join(tempDir('pool-summary-rename-'), 'run');
  mkdirSync(dir);
  const summary = join(dir, 'summary.json');
  writeFileAtomic(summary, summaryText(2));
  const d = await startDaemon({ args: ['--pool-summary', summary, '--sample-interval', '100'] });
  const workers = async () => parseAdvertisement(await fetchTcp(d.port)).pool?.workers;
  await eventually(async () => (await workers()) === 2, GENEROUS_MS, '2 workers');
  writeFileAtomic(summary, summaryText(3)); // as the pool writes it: a temporary file renamed over
  await eventually(async () => (await workers()) === 3, GENEROUS_MS, '3 workers after the rename');
  rmSync(dir, { recursive: true }); // the pool stopped: systemd removes its RuntimeDirectory
  await eventually(async () => (await workers()) === undefined, GENEROUS_MS, 'no <pool> once the directory is gone');
  mkdirSync(dir); // the pool started again
  writeFileAtomic(summary, summaryText(4));
  await eventually(async () => (await workers()) === 4, GENEROUS_MS, '4 workers in the new directory');
  writeFileAtomic(summary, summaryText(5));
  await eventually(async () => (await workers()) === 5, GENEROUS_MS, '5 workers: the new directory is watched too');
});

test('wire: <pool> round-trips, is checked, and a full UDP document with it still fits the query', () => {
  const full = sampleAdvertisement({ hostname: 'a'.repeat(253), pool: { workers: 100_000, busy: 100_000, max: 100_000, queue: 10_000_000 }, userNames: undefined });
  const udp = renderAdvertisement(full, { includeUserNames: false });
  assert.ok(Buffer.byteLength(udp) <= QUERY_PADDED_BYTES, `${Buffer.byteLength(udp)} bytes`);
  assert.equal(parseAdvertisement(udp).pool, full.pool);
  const bad = udp.replace('<busy>100000</busy>', '<busy>1e3</busy>');
  assert.throws(() => parseAdvertisement(bad), /busy/);
  const none = renderAdvertisement({ ...full, pool: undefined }, { includeUserNames: false });
  assert.is(parseAdvertisement(none).pool, undefined);
});

test.run();
