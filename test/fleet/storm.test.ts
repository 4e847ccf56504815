import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { GetHostsJson } from '../../testing/fleet/site.ts';
import { assertDecided, testTeardownLeavesNothing, useSite } from '../../testing/fleet/site-assert.ts';

// A login storm: ten thin clients decide at the same moment, three times over, against three equal
// servers whose daemons keep their default per-source UDP rate limit.
// The ten clients share this machine's two cores (a real thin client has its own), so a process may
// wait for a CPU past its deadline timer, and see an answer only after it: the bound here is the
// test deadline (1.5 s, site-assert.ts) plus half of it, and nearly every server must have answered
// every client (the daemons kept up, and the per-source rate limit, per client, cut nobody off).
const STORM_SLACK_MS = 750;
const SERVERS = ['app1', 'app2', 'app3'];
const CLIENTS = Array.from({ length: 10 }, (_, i) => `tc${i + 1}`);
const getSite = useSite(test, [...SERVERS, ...CLIENTS], async (site) => {
  await Promise.all(SERVERS.map((h) => site.startServer(h, { rateLimit: 5 })));
});

test('ten clients deciding at once all get a server within the deadline, and do not herd onto one', async () => {
  const site = getSite();
  const list = site.serverList(SERVERS);
  const allowed = SERVERS.map((h) => site.address(h));
  const chosen = new Map<string, number>();
  const down: string[] = [];
  // First contact resolves ARP; that is the network's start-up, not the storm.
  for (const c of CLIENTS) await site.getHosts(c, ['--servers', list, '--json']);
  for (let round = 0; round < 3; round++) {
    const runs = await Promise.all(CLIENTS.map((c) => site.getHosts(c, ['--servers', list, '--algorithm', 'two-choices', '--json'])));
    for (const [i, run] of runs.entries()) {
      const json = assertDecided(run, allowed, `round ${round} ${CLIENTS[i]}`, STORM_SLACK_MS);
      if (json.fallback === 'none-answered') down.push(`${CLIENTS[i]}: no answer at all`);
      for (const s of json.servers) if (s.status === 'Down') down.push(`${CLIENTS[i]}: ${s.server} ${s.detail}`);
      chosen.set(json.hosts[0]!, (chosen.get(json.hosts[0]!) ?? 0) + 1);
    }
  }
  assert.ok(down.length <= 9, `${down.length} answers missing of 90: ${down.slice(0, 3).join('; ')}`);
  // Equal servers: two-choices spreads the 30 logins. All on one server has probability < 3^-28.
  assert.ok(chosen.size >= 2, `every client chose ${[...chosen.keys()].join(' ')}`);
  const most = Math.max(...chosen.values());
  assert.ok(most <= 25, `one server took ${most} of 30 logins: ${JSON.stringify([...chosen])}`);
});

test('machash gives each client its own stable server, spread over the fleet', async () => {
  const site = getSite();
  const list = site.serverList(SERVERS);
  // Slow start off: the daemons started a few ms apart, and ramping shares could move a client
  // that sits on a boundary between two runs; that is slow start's business, not this test's.
  const machash = (c: string) => site.getHosts(c, ['--servers', list, '--algorithm', 'machash', '--json'], { LDM_BALANCE_SLOW_START_S: '0' });
  const first = await Promise.all(CLIENTS.map(machash));
  const again = await Promise.all(CLIENTS.map(machash));
  const servers = SERVERS.map((h) => site.address(h));
  // A client whose hashed server missed the deadline rightly takes the next one in its order, so
  // stability is checked where every server answered both times.
  const allAnswered = (json: GetHostsJson): boolean => json.servers.every((s) => s.status !== 'Down');
  let compared = 0;
  for (const [i, run] of first.entries()) {
    const a = assertDecided(run, servers, CLIENTS[i]!, STORM_SLACK_MS);
    const b = assertDecided(again[i]!, servers, CLIENTS[i]!, STORM_SLACK_MS);
    if (!allAnswered(a) || !allAnswered(b)) continue;
    compared++;
    assert.is(b.chosen, a.chosen, `${CLIENTS[i]} moved`);
  }
  assert.ok(compared >= 7, `only ${compared} of 10 clients had every answer twice`);
  assert.ok(new Set(first.map((r) => r.json?.chosen)).size >= 2, 'the hash spreads ten clients over more than one server');
});

testTeardownLeavesNothing(test, getSite, SERVERS);

test.run();
