/**
 * The one decision pipeline (balance/gather.ts): get_hosts and the greeter bridge recommend the same
 * server from the same survey (they used to diverge: no central balancer, no SERVER fallback and
 * login checks with their own deadline in the bridge), and a decision taken from the survey cache
 * rechecks the chosen server so a host killed after the cache was written is never chosen.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { writeSurveyCache } from '../../balance/cache-write.ts';
import { gatherDecision } from '../../balance/gather.ts';
import { surveyServers } from '../../balance/probe/survey.ts';
import { DEFAULT_SETTINGS, type Settings } from '../../balance/settings.ts';
import { parseServerList } from '../../balance/servers.ts';
import { Fleet, randomSubnet } from '../../testing/get-hosts/fake-fleet.ts';
import { startFleetServer, stopFleet, type FleetServer } from '../../testing/greeter-bridge/fleet.ts';
import { bridge, bridgeRun, cleanup, start, tempDir, uniqueQueues } from '../../testing/greeter-bridge/helpers.ts';
import { sampleAdvertisement } from '../../testing/sample-advertisement.ts';

const dir = tempDir('ltsp-gather-');
const subnet = randomSubnet();
const fleet = new Fleet();
let servers: FleetServer[] = [];
let http: Server | undefined;

test.before(async () => {
  // Three idle servers with different loads and sessions: every algorithm has a clear answer.
  servers = [
    await startFleetServer(`${subnet}.2`, { loadavg1: 0.4, loadavg5: 0.4, rating: 90, sessions: 9, users: 9, loginsLast60s: 0 }),
    await startFleetServer(`${subnet}.3`, { loadavg1: 0.1, loadavg5: 0.1, rating: 97, sessions: 2, users: 2, loginsLast60s: 0 }),
    await startFleetServer(`${subnet}.4`, { loadavg1: 0.8, loadavg5: 0.8, rating: 80, sessions: 5, users: 5, loginsLast60s: 0 }),
  ];
});
test.after(async () => {
  await stopFleet();
  await fleet.close();
  http?.close();
  await cleanup();
});

/** No LDM_* or SERVER from the developer's shell, a private cache path, no broadcast. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LDM_') && k !== 'SERVER'));
  // A generous deadline: the fleet answers from this test process on a shared, loaded machine.
  return { ...clean, LDM_BALANCE_CACHE: join(dir, 'none.json'), LDM_BALANCE_DISCOVER: 'N', LDM_BALANCE_TIMEOUT_MS: '1500', LDM_BALANCE_MAX_RTT_MS: '0', ...extra };
}

async function getHostsFirst(e: NodeJS.ProcessEnv): Promise<string> {
  const p = start(process.execPath, ['--import', 'tsx', 'bin/get_hosts.ts', '--config', '/dev/null'], { env: e });
  assert.ok((await p.exited) !== null, p.stderr());
  return p.stdout().trim().split(' ')[0]!;
}

async function bridgeRecommends(e: NodeJS.ProcessEnv, serversFlag: string[]): Promise<string | undefined> {
  const q = uniqueQueues('gather');
  const serve = bridge(['serve', '--queue', q.queue, '--choice-queue', q.choiceQueue, '--no-cache', '--interval', '60', '--msgsize', '4096', '--config', '/dev/null', ...serversFlag], { env: e });
  await serve.waitFor('stderr', /serving /);
  const r = await bridgeRun(['watch', '--once', '--timeout', '10', '--queue', q.queue, '--choice-queue', q.choiceQueue]);
  await serve.stop();
  assert.is(r.code, 0, r.stderr);
  const snap = JSON.parse(r.stdout) as { servers: Array<{ server: string; recommended: boolean }> };
  return snap.servers.find((s) => s.recommended)?.server;
}

for (const algorithm of ['best', 'machash', 'fixed']) {
  test(`${algorithm}: the bridge recommends what get_hosts prints first, from the same survey`, async () => {
    const list = servers.map((s) => s.name).join(' ');
    const e = env({ LDM_BALANCE_SERVERS: list, LDM_BALANCE_ALGORITHM: algorithm });
    const printed = await getHostsFirst(e);
    const recommended = await bridgeRecommends(e, []);
    assert.ok(recommended, 'a server is recommended');
    assert.is(parseServerList(recommended!, 'snapshot')[0]!.host, printed);
  });
}

test('loadbalancer: the bridge asks the central balancer too (it used to fall back every time)', async () => {
  const named = servers[2]!.host; // not the best: only the balancer picks it
  http = createServer((_req, res) => res.end(`${named}\n`));
  await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', () => resolve()));
  const port = (http.address() as { port: number }).port;
  const e = env({ LDM_BALANCE_SERVERS: servers.map((s) => s.name).join(' '), LDM_BALANCE_ALGORITHM: 'loadbalancer', LDM_BALANCE_FALLBACK_ALGORITHM: 'best', LDM_BALANCE_LOADBALANCER: `127.0.0.1:${port}`, LDM_BALANCE_TIMEOUT_MS: '5000' });
  // (A long deadline: on a loaded machine the balancer's answer must not miss it and fall back.)
  assert.is(await getHostsFirst(e), named);
  assert.is(parseServerList((await bridgeRecommends(e, []))!, 'snapshot')[0]!.host, named);
});

test('no server list and no discovery: the bridge polls the boot server (SERVER) as get_hosts does', async () => {
  const boot = await fleet.start(9, { ad: sampleAdvertisement({ hostname: 'boot' }) }); // port 377, as SERVER implies
  const e = env({ SERVER: boot.address });
  // get_hosts prints LTSP's name for the boot server, "server" (ssh knows its key under that name);
  // the bridge's row names the address it polled. The same server either way.
  assert.is(await getHostsFirst(e), 'server');
  assert.is(await bridgeRecommends(e, []), boot.address);
});

function settingsFor(list: string, extra: Partial<Settings> = {}): Settings {
  // No round-trip ceiling, as env() above: a late answer from this loaded process is not a Busy server.
  return { ...DEFAULT_SETTINGS, weights: new Map(), servers: parseServerList(list, 'test'), timeoutMs: 1500, maxRttMs: 0, cachePath: join(dir, `cache-${Math.random()}.json`), cacheMaxAgeMs: 60_000, ...extra };
}

test('a fresh cache naming a server that has died since: rechecked, never chosen', async () => {
  const doomed = await startFleetServer(`${subnet}.20`, { loadavg1: 0, loadavg5: 0, rating: 100, sessions: 0, users: 0, loginsLast60s: 0 });
  const list = `${doomed.name} ${servers[1]!.name}`;
  const settings = settingsFor(list, { algorithm: 'best' });
  // The bridge's survey while both were alive: the doomed one is the best.
  const surveyed = await surveyServers(settings.servers, { timeoutMs: 1500 });
  assert.ok(surveyed.every((r) => r.reachable));
  writeSurveyCache(settings.cachePath, surveyed, Date.now());
  const before = await gatherDecision(settings, { clientKey: 'c', newRandom: () => Math.random, useCache: true });
  assert.is(before.source, 'cache');
  assert.is(before.decision.chosen.port, doomed.port);
  assert.equal(before.rechecked, [doomed.name]);

  await doomed.close();
  const after = await gatherDecision(settings, { clientKey: 'c', newRandom: () => Math.random, useCache: true });
  assert.is(after.source, 'cache');
  assert.is(after.decision.chosen.port, servers[1]!.port);
  assert.equal(after.rechecked, [doomed.name, servers[1]!.name]);
  assert.is(after.decision.servers[0]!.status, 'Down');
});

test('every cached server dead: the configured list, never a hang past the deadline', async () => {
  const a = await startFleetServer(`${subnet}.30`);
  const settings = settingsFor(a.name, { timeoutMs: 400 });
  writeSurveyCache(settings.cachePath, await surveyServers(settings.servers, { timeoutMs: 1500 }), Date.now());
  await a.close();
  const t0 = performance.now();
  const r = await gatherDecision(settings, { clientKey: 'c', newRandom: () => Math.random, useCache: true, startedAt: t0 });
  assert.ok(performance.now() - t0 < 400 + 300, `took ${performance.now() - t0} ms`);
  assert.is(r.decision.fallback, 'none-answered');
});

test('the defaults agree: the bridge does not warn that its cache is never used', async () => {
  const q = uniqueQueues('defaults');
  const e = env({ LDM_BALANCE_SERVERS: servers[0]!.name });
  delete e.LDM_BALANCE_TIMEOUT_MS;
  const serve = bridge(['serve', '--queue', q.queue, '--choice-queue', q.choiceQueue, '--cache', join(dir, 'bridge-cache.json'), '--msgsize', '4096', '--config', '/dev/null'], { env: e });
  await serve.waitFor('stderr', /serving /);
  await serve.stop();
  assert.not.match(serve.stderr(), /CACHE_MAX_AGE/);
  // ... and it still warns when they disagree.
  const q2 = uniqueQueues('defaults');
  const bad = bridge(['serve', '--queue', q2.queue, '--choice-queue', q2.choiceQueue, '--cache', join(dir, 'bridge-cache.json'), '--msgsize', '4096', '--config', '/dev/null'], { env: { ...e, LDM_BALANCE_CACHE_MAX_AGE_MS: '5000' } });
  await bad.waitFor('stderr', /LDM_BALANCE_CACHE_MAX_AGE_MS \(5000\) is shorter than the poll interval plus the survey deadline \(10300 ms\)/);
  await bad.stop();
});

test.run();
