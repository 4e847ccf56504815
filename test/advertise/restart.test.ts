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
import { restartUnderLoad, SocketHolder } from '../../testing/socket-holder.ts';
import { LOADED_SLACK_MS } from '../../testing/helpers/wait.ts';

let holder: SocketHolder | undefined;
test.after(async () => holder?.stop());

const PARALLEL = 8;

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
  const r = await restartUnderLoad(holder, {
    ready: /\(socket-activated\)/,
    parallel: PARALLEL,
    ask: async () => parseAdvertisement(await fetchTcp(port, '127.0.0.1', undefined, 60_000)),
    // While it is down: a UDP query waits in the receive queue, get_hosts runs against it.
    whileDown: () => ({ udp: firstUdpReply(port, 60_000), run: getHosts(bundle, port) }),
  });

  const lost = r.afterDeath.filter((a) => a.outcome !== 'ok');
  assert.ok(r.afterDeath.length >= 2 * PARALLEL, `${r.afterDeath.length} connections made while down or after`);
  assert.is(lost.length, 0, `${lost.length} of ${r.afterDeath.length} connections made after the kill got no document: ${lost.map((a) => a.outcome).join(' ')}`);
  assert.ok(r.lostBefore.length <= PARALLEL, `only connections the killed daemon had accepted can be lost: ${r.lostBefore.length}`);
  assert.is(holder.starts, 2);

  assert.ok((await r.duringDowntime.udp) !== null, 'the UDP query sent while the daemon was down is answered after the restart');

  const run = await r.duringDowntime.run;
  const report = JSON.parse(run.stdout) as { deadlineMs: number; elapsedMs: number; hosts?: string[] };
  assert.ok(report.elapsedMs <= report.deadlineMs + LOADED_SLACK_MS, `decided after ${report.elapsedMs} ms (deadline ${report.deadlineMs})`);
  assert.ok(run.stdout.includes('127.0.0.1'), 'the configured host is still printed');
  assert.ok(run.ms < 10_000, `get_hosts took ${Math.round(run.ms)} ms`);
  console.log(
    `advertise restart: down ${Math.round(r.downMs)} ms; ${r.attempts.length} TCP connections, ${r.afterDeath.length} made after the kill, all answered; ` +
      `${r.lostBefore.length} lost (accepted by the killed daemon); get_hosts decided in ${report.elapsedMs} ms`,
  );
  await holder.stop();
});

test.run();
