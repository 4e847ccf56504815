import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { PROC_FIXTURES } from '../../testing/fleet/site.ts';
import { startSwapDriver, type SwapDriver } from '../../testing/fixtures/proc/swap-driver.ts';
import { assertDecided, serverView, testTeardownLeavesNothing, useSite } from '../../testing/fleet/site-assert.ts';
import { GENEROUS_MS, eventually } from '../../testing/helpers/wait.ts';

// app1 idle, app2 busy, app3 swapping, app4 idle but draining: each with sshd; app5 idle without sshd.
const SERVERS = ['app1', 'app2', 'app3', 'app4', 'app5'];
let swap: SwapDriver | undefined;
const getSite = useSite(test, [...SERVERS, 'lb', 'client'], async (site) => {
  swap = await startSwapDriver({ pagesPerSec: 500 });
  await Promise.all([
    site.startServer('app1'),
    site.startServer('app2', { procfs: join(PROC_FIXTURES, 'busy') }),
    site.startServer('app3', { procfs: swap.dir }),
    site.startServer('app4', { drain: true }),
    site.startServer('app5'),
    ...['app1', 'app2', 'app3', 'app4'].map((h) => site.startSshd(h)),
  ]);
  // The swap rate is a difference of two /proc samples: wait until app3 reports it, not a fixed 700 ms.
  await eventually(async () => {
    const run = await site.getHosts('client', ['--servers', site.serverList(SERVERS), '--json']);
    return run.json?.servers.find((s) => s.server === site.address('app3'))?.status === 'Swapped';
  }, GENEROUS_MS, 'app3 to report its swapping', 100);
});
test.after(async () => {
  await swap?.stop();
});
const ip = (h: string): string => getSite().address(h);
const list = (): string => getSite().serverList(SERVERS);

const loginEnv = { LDM_BALANCE_LOGIN_CHECK: 'true' };

for (const algorithm of ['two-choices', 'best', 'weighted', 'machash', 'random', 'fixed']) {
  test(`${algorithm}: chooses a loaded-enough server with a working sshd, within the deadline, and says why`, async () => {
    const site = getSite();
    const run = await site.getHosts('client', ['--servers', list(), '--algorithm', algorithm, '--json'], loginEnv);
    // fixed is balancing off (issue 11): no swap filter, so the swapping app3 is usable too, and
    // LDM's menu keeps configured order.
    const usable = algorithm === 'fixed' ? [ip('app1'), ip('app2'), ip('app3')] : [ip('app1'), ip('app2')];
    const json = assertDecided(run, usable, algorithm);
    assert.is(json.algorithm, algorithm);
    if (algorithm === 'fixed') assert.equal(json.hosts, usable, 'LDM\'s menu: every usable server in configured order');
    else assert.equal([...json.hosts].sort(), usable, 'LDM\'s menu holds exactly the usable servers');
    assert.is(serverView(json, ip('app3')).status, 'Swapped');
    assert.is(serverView(json, ip('app4')).status, 'Draining');
    const noSshd = serverView(json, ip('app5'));
    assert.is(noSshd.login?.ok, false, 'the login-path check found no sshd on app5');
    assert.ok(noSshd.filteredBy, `app5 filtered: ${noSshd.detail}`);
    if (algorithm === 'best' || algorithm === 'fixed') assert.is(json.hosts[0], ip('app1'), json.reason);
    assert.ok(json.reason.startsWith(`${algorithm}:`), json.reason);
  });
}

test('machash: one client always gets the same server; --explain prints the reasons in text', async () => {
  const site = getSite();
  const args = ['--servers', list(), '--algorithm', 'machash', '--json'];
  const first = await site.getHosts('client', args);
  for (let i = 0; i < 3; i++) assert.is((await site.getHosts('client', args)).json?.chosen, first.json?.chosen);
  const text = await site.getHosts('client', ['--servers', list(), '--algorithm', 'machash', '--explain']);
  assert.match(text.stdout, /Swapped\s.*swapping/);
  assert.match(text.stdout, /Draining\s.*draining/);
  assert.match(text.stdout, /^chosen: /m);
  assert.match(text.stdout, /^why: machash: /m);
});

test('loadbalancer: the central balancer\'s answer wins; without it the fallback decides in time', async () => {
  const site = getSite();
  const answer = `const h=require('http').createServer((q,r)=>{r.end(process.argv[1]+'\\n')});h.listen(8008,process.argv[2],()=>console.log('ready'))`;
  const lb = site.fleet.spawn('lb', [process.execPath, '-e', answer, ip('app2'), ip('lb')], { label: 'central balancer' });
  await lb.waitForOutput(/ready/, 10_000);
  const env = { ...loginEnv, LDM_BALANCE_LOADBALANCER: `${ip('lb')}:8008` };
  const asked = assertDecided(await site.getHosts('client', ['--servers', list(), '--algorithm', 'loadbalancer', '--json'], env), [ip('app2')], 'loadbalancer');
  assert.match(asked.reason, /central balancer chose/);
  await lb.stop();
  const fallback = assertDecided(await site.getHosts('client', ['--servers', list(), '--algorithm', 'loadbalancer', '--json'], env), [ip('app1'), ip('app2')], 'fallback');
  assert.is(fallback.fallback, 'loadbalancer-unusable');
});

test('the greeter bridge surveys for the client; get_hosts there decides from its fresh cache', async () => {
  const site = getSite();
  const bridge = await site.startBridge('client', SERVERS);
  const watch = await site.fleet.exec('client', site.command('ltsp-greeter-bridge', 'watch', '--once', '--timeout', '10',
    '--queue', bridge.queues[0]!, '--choice-queue', bridge.queues[1]!, '--config', join(site.dir, 'lts.conf')), { env: site.clientEnv('client'), timeoutMs: 30_000 });
  assert.is(watch.status, 0, watch.stderr + bridge.serve.tail());
  const snapshot = JSON.parse(watch.stdout.trim().split('\n').at(-1)!) as { servers: Array<{ server: string; status: string; recommended: boolean }> };
  assert.is(snapshot.servers.length, 5);
  // The bridge runs no login-path check here: app1 and app5 are the equal idle ones.
  assert.ok([ip('app1'), ip('app5')].includes(snapshot.servers.find((s) => s.recommended)?.server.split(':')[0] ?? ''), watch.stdout);
  assert.is(snapshot.servers.find((s) => s.server.split(':')[0] === ip('app3'))?.status, 'Swapped');
  // The cache is written after each poll: get_hosts uses it once there is one.
  const json = await eventually(async () => {
    const run = (await site.getHosts('client', ['--servers', list(), '--algorithm', 'best', '--json'])).json;
    return run?.source === 'cache' && run;
  }, GENEROUS_MS, 'get_hosts using the bridge\'s survey (its cache)', 250);
  assert.ok([ip('app1'), ip('app5')].includes(json.hosts[0] ?? ''), json.reason);
  await bridge.serve.stop();
  assert.is(bridge.serve.running, false);
});

testTeardownLeavesNothing(test, getSite, SERVERS);

test.run();
