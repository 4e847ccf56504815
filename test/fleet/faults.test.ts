import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertDecided, serverView, testTeardownLeavesNothing, useSite } from '../../testing/fleet/site-assert.ts';
import { eventually, GENEROUS_MS, sleep } from '../../testing/helpers/wait.ts';

const SERVERS = ['app1', 'app2', 'app3', 'app4'];
// Long enough that a restarted daemon is still inside its window after two get_hosts runs on a
// loaded machine (each can take seconds there); the test waits out the window only as far as needed.
const SLOW_START_S = 10;
let drainConfig: string;
const env = { LDM_BALANCE_SLOW_START_S: String(SLOW_START_S) };

const getSite = useSite(test, [...SERVERS, 'client'], async (site) => {
  drainConfig = join(site.dir, 'app4-advertise.conf');
  writeFileSync(drainConfig, 'drain=false\n');
  await Promise.all([site.startServer('app1'), site.startServer('app2'), site.startServer('app3'), site.startServer('app4', { config: drainConfig })]);
});
const ip = (h: string): string => getSite().address(h);

const decide = (...extra: string[]) => getSite().getHosts('client', ['--servers', getSite().serverList(SERVERS), '--json', ...extra], env);

test('a daemon killed mid-run is Down at once and never chosen', async () => {
  const site = getSite();
  site.killServer('app1');
  await site.server('app1')?.exited;
  for (let i = 0; i < 8; i++) {
    const json = assertDecided(await decide(), [ip('app2'), ip('app3'), ip('app4')], `run ${i}`);
    const dead = serverView(json, ip('app1'));
    assert.is(dead.status, 'Down');
    assert.match(dead.error?.code ?? '', /ERR_SURVEY/);
    assert.not.ok(json.hosts.includes(ip('app1')), 'a dead server is not even in the menu');
  }
});

test('a server that comes back ramps up by slow start, visible in --json and --explain', async () => {
  const site = getSite();
  // Let the others leave their own slow start behind first (a time window: waiting for time is the
  // point), as far as their reported uptimes say it is left.
  const before = assertDecided(await decide(), [ip('app2'), ip('app3'), ip('app4')], 'before the restart');
  const youngest = Math.min(...['app2', 'app3', 'app4'].map((h) => serverView(before, ip(h)).reported?.daemonUptimeSec ?? 0));
  await sleep(Math.max(0, SLOW_START_S - youngest) * 1000 + 300);
  await site.startServer('app1');
  const json = assertDecided(await decide(), SERVERS.map(ip), 'after restart');
  const back = serverView(json, ip('app1'));
  assert.is(back.status, 'Idle');
  assert.ok(back.score && back.score.slowStart < 1, `slow start factor ${back.score?.slowStart}`);
  assert.ok(serverView(json, ip('app2')).score?.slowStart === 1, 'the others are past their slow start');
  assert.match(back.detail, /slow start/);
  const text = await site.getHosts('client', ['--servers', site.serverList(SERVERS), '--explain'], env);
  assert.match(text.stdout, new RegExp(`${ip('app1').replace(/\./g, '\\.')}.*slow start \\d+%`));
  await sleep(Math.max(0, SLOW_START_S - (back.reported?.daemonUptimeSec ?? 0)) * 1000 + 300);
  const later = assertDecided(await decide(), SERVERS.map(ip), 'after the window');
  assert.is(serverView(later, ip('app1')).score?.slowStart, 1);
});

test('a partitioned host is Down after the deadline, the others still chosen in time; healed, it is back', async () => {
  const site = getSite();
  await site.fleet.partition('app2');
  for (let i = 0; i < 4; i++) {
    const json = assertDecided(await decide(), [ip('app1'), ip('app3'), ip('app4')], `partitioned ${i}`);
    const cut = serverView(json, ip('app2'));
    assert.is(cut.status, 'Down');
    assert.ok(cut.error, 'the explanation says why');
  }
  await site.fleet.heal('app2');
  await eventually(async () => serverView(assertDecided(await decide(), SERVERS.map(ip), 'healed'), ip('app2')).status === 'Idle', GENEROUS_MS, 'app2 Idle again', 200);
});

test('with 30% loss on every server link, every run still prints a host within the deadline', async () => {
  const site = getSite();
  for (const h of SERVERS) await site.fleet.setLink(h, { lossPercent: 30 });
  let answered = 0;
  try {
    for (let i = 0; i < 15; i++) {
      const json = assertDecided(await decide(), SERVERS.map(ip), `loss run ${i}`);
      if (json.fallback !== 'none-answered') answered++;
      for (const s of json.servers) if (s.status === 'Down') assert.ok(s.error, `${s.server} Down with a reason`);
    }
  } finally {
    for (const h of SERVERS) await site.fleet.setLink(h, {});
  }
  // P(no server answers) is about 0.26^4 per run with one retry each: nearly every run finds one.
  assert.ok(answered >= 12, `${answered} of 15 runs had an answer`);
});

test('draining switched at run time (config file + SIGHUP) takes the server out and back', async () => {
  const site = getSite();
  const waitFor = (state: string): Promise<boolean> =>
    eventually(async () => serverView(assertDecided(await decide(), SERVERS.map(ip), state), ip('app4')).status === state, GENEROUS_MS, `app4 ${state}`, 200);
  writeFileSync(drainConfig, 'drain=true\n');
  site.server('app4')!.signal('SIGHUP');
  await waitFor('Draining');
  for (let i = 0; i < 5; i++) assert.not.ok((await decide()).json?.hosts.includes(ip('app4')), 'a draining server is not offered');
  writeFileSync(drainConfig, 'drain=false\n');
  site.server('app4')!.signal('SIGHUP');
  await waitFor('Idle');
});

test('no server answering at all: the configured list is printed within the deadline (exit 9, unavailable)', async () => {
  const site = getSite();
  for (const h of SERVERS) await site.fleet.partition(h);
  try {
    const run = await decide();
    const json = assertDecided(run, SERVERS.map(ip), 'all partitioned');
    assert.is(run.status, 9);
    assert.is(json.fallback, 'none-answered');
    assert.equal([...json.hosts].sort(), SERVERS.map(ip).sort());
  } finally {
    for (const h of SERVERS) await site.fleet.heal(h);
  }
});

testTeardownLeavesNothing(test, getSite, SERVERS);

test.run();
