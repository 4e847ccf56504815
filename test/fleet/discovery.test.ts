import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { PROC_FIXTURES, PROJECT_ROOT, SITE_PORT } from '../../testing/fleet/site.ts';
import { QUERY_PADDED_BYTES } from '../../shared/wire/udp-query.ts';
import { assertDecided, serverView, testTeardownLeavesNothing, useSite } from '../../testing/fleet/site-assert.ts';

// No server list anywhere: the client finds the daemons by broadcast across the bridge.
// app1 idle and app2 busy answer; app3 is told to serve only its loopback interface, so it must
// stay silent to the LAN; app4 is cut off the bridge.
const SERVERS = ['app1', 'app2', 'app3', 'app4'];
const getSite = useSite(test, [...SERVERS, 'client'], async (site) => {
  await Promise.all([
    site.startServer('app1'),
    site.startServer('app2', { procfs: join(PROC_FIXTURES, 'busy') }),
    site.startServer('app3', { interfaces: ['lo'] }),
    site.startServer('app4'),
  ]);
  await site.fleet.partition('app4');
});
const ip = (h: string): string => getSite().address(h);

test('get_hosts with no server list discovers the answering daemons by broadcast and decides in time', async () => {
  const site = getSite();
  const run = await site.getHosts('client', ['--algorithm', 'best', '--json']);
  const json = assertDecided(run, [ip('app1')], 'discovery');
  assert.is(json.source, 'discovery');
  assert.equal(json.servers.map((s) => s.server.split(':')[0]).sort(), [ip('app1'), ip('app2')]);
  // The busy fixture (1.95 load per CPU, 91 % memory) is still a candidate, shown Loaded (issue 11).
  assert.is(serverView(json, ip('app2')).status, 'Loaded');
  const text = await site.getHosts('client', ['--explain']);
  assert.match(text.stdout, /discovery of 2 server/);
});

test('discovery turned off and no list: get_hosts says there is no server (exit 10, not found), prints nothing', async () => {
  const site = getSite();
  const run = await site.getHosts('client', [], { LDM_BALANCE_DISCOVER: 'false' });
  assert.is(run.status, 10, run.stderr);
  assert.is(run.stdout, '');
});

test('the greeter bridge with no list discovers the same servers for its snapshot', async () => {
  const site = getSite();
  const bridge = await site.startBridge('client', []);
  const watch = await site.fleet.exec('client', site.command('ltsp-greeter-bridge', 'watch', '--once', '--timeout', '10',
    '--queue', bridge.queues[0]!, '--choice-queue', bridge.queues[1]!, '--config', join(site.dir, 'lts.conf')), { env: site.clientEnv('client'), timeoutMs: 30_000 });
  assert.is(watch.status, 0, watch.stderr + bridge.serve.tail());
  const snapshot = JSON.parse(watch.stdout.trim().split('\n').at(-1)!) as { servers: Array<{ server: string; recommended: boolean }> };
  assert.equal(snapshot.servers.map((s) => s.server.split(':')[0]).sort(), [ip('app1'), ip('app2')]);
  assert.is(snapshot.servers.find((s) => s.recommended)?.server.split(':')[0], ip('app1'));
  await bridge.serve.stop();
});

/** Replies to one broadcast query of `size` bytes, seen from the client. */
async function probe(size: number): Promise<Array<{ from: string; bytes: number }>> {
  const r = await getSite().fleet.exec('client', [process.execPath, '--import', 'tsx', join(PROJECT_ROOT, 'testing/fleet/udp-probe.ts'),
    String(size), '10.77.0.255', String(SITE_PORT), '600'], { timeoutMs: 20_000, cwd: PROJECT_ROOT });
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Array<{ from: string; bytes: number }>;
}

test('across the bridge, a broadcast query is never answered with more bytes than it carried', async () => {
  const padded = await probe(QUERY_PADDED_BYTES);
  assert.equal(padded.map((r) => r.from).sort(), [ip('app1'), ip('app2')], 'only the daemons serving the LAN answer');
  for (const r of padded) assert.ok(r.bytes <= QUERY_PADDED_BYTES, `${r.from} answered ${r.bytes} bytes to ${QUERY_PADDED_BYTES}`);
  // A short query (a reflection attempt) gets at most the tiny retry-over-TCP answer, never the document.
  const short = await probe(48);
  for (const r of short) assert.ok(r.bytes <= 48 * 3, `${r.from} answered ${r.bytes} bytes to 48`);
  assert.ok(short.every((r) => r.bytes < Math.min(...padded.map((p) => p.bytes))), 'no document for a short query');
});

testTeardownLeavesNothing(test, getSite, SERVERS);

test.run();
