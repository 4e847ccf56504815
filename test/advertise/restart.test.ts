/**
 * A restart loses nothing (issue 17, the promise of socket activation): while clients keep asking,
 * the daemon is killed with SIGKILL and started again by a holder of its sockets that behaves like
 * systemd's socket unit with Restart= (testing/socket-holder.ts). Every TCP connection made while it
 * was down waits in the backlog and gets the document after the restart; UDP queries sent meanwhile
 * are answered from the receive queue; a get_hosts run overlapping the restart decides within its
 * deadline.
 */
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAdvertisement } from '../../shared/wire/parse.ts';
import { bundleGetHosts } from '../../testing/get-hosts/bundle.ts';
import { buildQuery } from '../../shared/wire/udp-query.ts';
import { BIN, FIXTURES, fetchTcp, ROOT, tempDir } from '../../testing/advertise/helpers.ts';
import { SocketHolder } from '../../testing/socket-holder.ts';

let holder: SocketHolder | undefined;
test.after(async () => holder?.stop());

interface Attempt {
  startedAt: number;
  ok: boolean;
}

/** Asks over TCP in `parallel` loops until `until()` says stop; records when each attempt began. */
async function keepAsking(port: number, parallel: number, until: () => boolean): Promise<Attempt[]> {
  const attempts: Attempt[] = [];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (!until()) {
        const a: Attempt = { startedAt: performance.now(), ok: false };
        attempts.push(a);
        try {
          parseAdvertisement(await fetchTcp(port));
          a.ok = true;
        } catch {
          // counted below
        }
      }
    }),
  );
  return attempts;
}

/** One padded query; resolves with the first reply, or null after `capMs`. */
function firstUdpReply(port: number, capMs: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => done(null), capMs);
    const done = (reply: Buffer | null): void => {
      clearTimeout(timer);
      s.close();
      resolve(reply);
    };
    s.on('message', (m) => done(m));
    s.send(buildQuery(), port, '127.0.0.1');
  });
}

function getHosts(bundle: string, port: number): Promise<{ code: number | null; stdout: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [join(bundle, 'get_hosts.cjs'), '--servers', `127.0.0.1:${port}`, '--timeout', '300', '--json'], { env: { PATH: process.env.PATH } }, (err, stdout) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, ms: performance.now() - started }),
    );
  });
}

test('kill -9 under load: every connection made while the daemon was down is answered after the restart', async () => {
  const bundle = await bundleGetHosts('cjs');
  const dir = tempDir();
  holder = new SocketHolder({
    sockets: [
      { kind: 'tcp', host: '127.0.0.1', port: 0, name: 'advertise' },
      { kind: 'udp', host: '127.0.0.1', port: -1, name: 'advertise' },
    ],
    command: [process.execPath, '--import', 'tsx', BIN, '--status-socket', join(dir, 'status.sock'), '--procfs', join(FIXTURES, 'idle'), '--utmp', join(dir, 'no-utmp')],
    cwd: ROOT,
    restartMs: 100,
  });
  const port = holder.ports[0]!;
  holder.start();
  await holder.waitForLog(/\(socket-activated\)/);

  let stop = false;
  let diedAt = Infinity;
  holder.once('exit', () => (diedAt = performance.now()));
  const asking = keepAsking(port, 8, () => stop);
  await new Promise((r) => setTimeout(r, 500));
  const victim = holder.child!;
  victim.kill('SIGKILL');
  await new Promise((r) => holder!.once('exit', r));
  // While it is down: a UDP query waits in the receive queue, get_hosts runs against it.
  const udpWhileDown = firstUdpReply(port, 20_000);
  const run = getHosts(bundle, port);
  await holder.waitForLog(/\(socket-activated\)/, 2);
  const downMs = performance.now() - diedAt;
  await new Promise((r) => setTimeout(r, 500));
  stop = true;
  const attempts = await asking;

  const afterDeath = attempts.filter((a) => a.startedAt > diedAt);
  const lost = afterDeath.filter((a) => !a.ok).length;
  assert.ok(afterDeath.length >= 8, `${afterDeath.length} connections made while down or after`);
  assert.is(lost, 0, `${lost} of ${afterDeath.length} connections made after the kill got no document`);
  const beforeLost = attempts.filter((a) => a.startedAt <= diedAt && !a.ok).length;
  assert.ok(beforeLost <= 8, `only connections the killed daemon had accepted can be lost: ${beforeLost}`);
  assert.is(holder.starts, 2);

  assert.ok((await udpWhileDown) !== null, 'the UDP query sent while the daemon was down is answered after the restart');

  const r = await run;
  const report = JSON.parse(r.stdout) as { deadlineMs: number; elapsedMs: number; hosts?: string[] };
  assert.ok(report.elapsedMs <= report.deadlineMs + 50, `decided after ${report.elapsedMs} ms (deadline ${report.deadlineMs})`);
  assert.ok(r.stdout.includes('127.0.0.1'), 'the configured host is still printed');
  assert.ok(r.ms < 10_000, `get_hosts took ${Math.round(r.ms)} ms`);
  console.log(
    `advertise restart: down ${Math.round(downMs)} ms; ${attempts.length} TCP connections, ${afterDeath.length} made after the kill, all answered; ` +
      `${beforeLost} lost (accepted by the killed daemon); get_hosts decided in ${report.elapsedMs} ms`,
  );
  await holder.stop();
});

test.run();
