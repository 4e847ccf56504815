/**
 * Discovery's mechanics on loopback: loopback cannot broadcast, so the query is sent directed to
 * each fake server's address (the fleet harness tests real broadcast across a bridge).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { performance } from 'node:perf_hooks';
import { discoverServers } from '../../balance/probe/discover.ts';
import { broadcastAddresses } from '../../ltsp/identity.ts';
import { sampleAdvertisement } from '../../testing/sample-advertisement.ts';
import { Fleet } from '../../testing/get-hosts/fake-fleet.ts';
import { LOADED_SLACK_MS } from '../../testing/helpers/wait.ts';

const fleet = new Fleet();
test.after.each(() => fleet.close());

test('whoever answers is found; retry-over-TCP answers are fetched; garbage is reported Down', async () => {
  await fleet.start(2, { ad: sampleAdvertisement({ hostname: 'app2' }) });
  await fleet.start(3, { ad: sampleAdvertisement({ hostname: 'app3' }), udp: { kind: 'retry-tcp' } });
  await fleet.start(4, { udp: { kind: 'raw', text: 'garbage' } });
  const started = performance.now();
  const found = await discoverServers({ timeoutMs: 5000, addresses: [2, 3, 4, 5].map((n) => fleet.address(n)), quietMs: 100 });
  const ms = performance.now() - started;
  const byHost = new Map(found.map((r) => [r.server.host, r]));
  assert.is(found.length, 3);
  assert.equal([byHost.get(fleet.address(2))!.ad!.hostname, byHost.get(fleet.address(2))!.via], ['app2', 'udp']);
  assert.equal([byHost.get(fleet.address(3))!.ad!.hostname, byHost.get(fleet.address(3))!.via], ['app3', 'tcp']);
  assert.equal([byHost.get(fleet.address(4))!.reachable, byHost.get(fleet.address(4))!.error!.code], [false, 'ERR_WIRE_SYNTAX']);
  // ended by the quiet period, not the deadline
  assert.ok(ms < 2500, `took ${ms} ms`);
});

test('nobody answers: an empty list at the deadline', async () => {
  const started = performance.now();
  assert.equal(await discoverServers({ timeoutMs: 150, addresses: [fleet.address(9)] }), []);
  const ms = performance.now() - started;
  assert.ok(ms >= 140 && ms < 150 + LOADED_SLACK_MS, String(ms));
});

test('broadcast addresses are computed from the interfaces (address | ~netmask)', () => {
  for (const a of broadcastAddresses()) assert.match(a, /^\d+\.\d+\.\d+\.\d+$/);
});

test.run();
