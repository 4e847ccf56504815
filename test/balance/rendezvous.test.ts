import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decide } from '../../balance/decide/decide.ts';
import { hash01, seededRandom } from '../../balance/decide/random.ts';
import { boundedRendezvous, rendezvousOrder } from '../../balance/decide/rendezvous.ts';
import { DEFAULT_SETTINGS } from '../../balance/settings.ts';
import { counts, loaded } from '../../testing/get-hosts/reports.ts';

const macs = Array.from({ length: 3000 }, (_, i) => `02:00:00:${((i >> 16) & 255).toString(16).padStart(2, '0')}:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`);
const servers = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `app${i}|377`, weight: 1, capacity: 1, sessions: 0 }));
const first = (mac: string, list: ReturnType<typeof servers>) => list[rendezvousOrder(mac, list)[0]!]!.key;

test('hash01 is deterministic and spread over (0, 1)', () => {
  assert.is(hash01('a'), hash01('a'));
  const values = Array.from({ length: 10_000 }, (_, i) => hash01(`k${i}`));
  assert.ok(values.every((v) => v > 0 && v < 1));
  const low = values.filter((v) => v < 0.5).length;
  assert.ok(Math.abs(low - 5000) < 250, String(low));
});

test('each client keeps its server; clients spread evenly', () => {
  const list = servers(10);
  assert.is(first(macs[0]!, list), first(macs[0]!, list));
  const c = counts(macs.map((m) => first(m, list)));
  for (const n of Object.values(c)) assert.ok(Math.abs(n - 300) < 75, JSON.stringify(c));
});

test('a server going away moves only its own clients', () => {
  const list = servers(30);
  const before = macs.map((m) => first(m, list));
  const without = list.filter((s) => s.key !== 'app7|377');
  const after = macs.map((m) => first(m, without));
  const moved = macs.filter((_, i) => before[i] !== after[i]).length;
  const onDead = before.filter((k) => k === 'app7|377').length;
  assert.is(moved, onDead);
  assert.ok(moved / macs.length < 1 / 30 + 0.01, `${moved} moved`);
});

test('weights: a server of weight 3 takes about three times the clients', () => {
  const list = [{ key: 'a', weight: 3, capacity: 3, sessions: 0 }, { key: 'b', weight: 1, capacity: 1, sessions: 0 }];
  const c = counts(macs.map((m) => list[rendezvousOrder(m, list)[0]!]!.key));
  assert.ok(Math.abs(c.a! - 2250) < 120, JSON.stringify(c));
});

test('bounded load: a server over (1+e) × the average is skipped for the next in order', () => {
  const list = servers(4);
  const mac = macs.find((m) => first(m, list) === 'app0|377')!;
  const hot = list.map((s) => ({ ...s, sessions: s.key === 'app0|377' ? 40 : 10 }));
  const pick = boundedRendezvous(mac, hot, 0.25);
  assert.is.not(hot[pick.index]!.key, 'app0|377');
  assert.equal(pick.skipped.map((i) => hot[i]!.key), ['app0|377']);
  assert.is(pick.bound, Math.ceil(1.25 * 71 * 0.25));
  // within its bound it keeps the client
  const fine = list.map((s) => ({ ...s, sessions: 10 }));
  assert.is(fine[boundedRendezvous(mac, fine, 0.25).index]!.key, 'app0|377');
});

test('bounded load keeps every server at or below the bound while clients arrive', () => {
  const list = servers(10);
  const epsilon = 0.1;
  for (const m of macs) list[boundedRendezvous(m, list, epsilon).index]!.sessions++;
  const max = Math.max(...list.map((s) => s.sessions));
  assert.ok(max <= Math.ceil((1 + epsilon) * (macs.length / 10)), String(max));
});

test('machash through decide(): same MAC same server, reported sessions bound the load', () => {
  const reports = Array.from({ length: 5 }, (_, i) => loaded(`app${i}`, 0.3, { sessions: 10, users: 1 }));
  const s = { ...DEFAULT_SETTINGS, weights: new Map(), algorithm: 'machash' as const };
  const pick = (mac: string, r = reports) => decide(r, s, { mac, random: seededRandom(1) }).chosen.host;
  const mine = pick(macs[5]!);
  assert.is(pick(macs[5]!), mine);
  const overloaded = reports.map((r) => (r.server.host === mine ? loaded(mine, 0.3, { sessions: 60, users: 1 }) : r));
  const d = decide(overloaded, s, { mac: macs[5]!, random: seededRandom(1) });
  assert.is.not(d.chosen.host, mine);
  assert.match(d.reason, new RegExp(`skipped ${mine}`));
});

test.run();
