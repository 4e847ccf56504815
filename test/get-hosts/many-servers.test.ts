/**
 * The built get_hosts (the CommonJS hook bundle) with long server lists under a thin client's
 * descriptor limit, `prlimit --nofile=256`: one live server among addresses where nothing listens
 * (each one refuses: ICMP port unreachable for UDP, RST for TCP). Up to 64 servers the survey gives
 * each its own connected UDP socket; past that one socket per address family, and at most 64 TCP
 * fallbacks open at once (balance/probe/survey.ts). Either way it must decide, print the live server
 * first, and report every other server Down as refused: never EMFILE, never a crash. And with fewer
 * descriptors than servers, the connected sockets that cannot be opened fall back to the shared one.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { bundleGetHosts } from '../../testing/get-hosts/bundle.ts';
import { Fleet } from '../../testing/get-hosts/fake-fleet.ts';
import { runProcess } from '../../testing/helpers/process.ts';
import { sampleAdvertisement } from '../../testing/sample-advertisement.ts';

const fleet = new Fleet();
let dir = '';
test.before(async () => {
  dir = await bundleGetHosts('cjs');
});
test.after(async () => {
  await fleet.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `count` loopback addresses in a /16 of their own where nothing listens, with `live` at `at`. */
function serverList(count: number, live: string, at: number): string[] {
  const base = `127.${128 + Math.floor(Math.random() * 100)}`;
  const list = Array.from({ length: count }, (_, i) => `${base}.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
  list[at] = live;
  return list;
}

interface Doc {
  chosen: string;
  elapsedMs: number;
  servers: Array<{ server: string; status: string; via: string | null; error: { message: string } | null }>;
}

const DEADLINE_MS = 10_000; // the longest deadline get_hosts accepts
const TCP_TIMER_MS = DEADLINE_MS * 0.4;

async function runLimited(list: string[], nofile = 256): Promise<{ code: number | null; doc: Doc; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LDM_') && k !== 'NODE_OPTIONS'));
  const r = await runProcess('prlimit', [`--nofile=${nofile}`, process.execPath, join(dir, 'get_hosts.cjs'), '--servers', list.join(' '), '--json'], {
    // Not about timing: a deadline a loaded machine keeps (10 s: the TCP timer at 4 s, which a
    // stall of a second or two of this process or of get_hosts must not reach), no round-trip ceiling.
    env: { ...env, LDM_BALANCE_CACHE: join(dir, 'none.json'), LDM_BALANCE_DISCOVER: 'N', LDM_BALANCE_TIMEOUT_MS: String(DEADLINE_MS), LDM_BALANCE_MAX_RTT_MS: '0' },
    timeoutMs: 60_000,
  });
  assert.ok(r.stdout.length > 0, `nothing printed: ${r.stderr}`);
  return { code: r.code, doc: JSON.parse(r.stdout) as Doc, stderr: r.stderr };
}

function assertRefusedButLive(doc: Doc, live: string, expected: number): void {
  assert.is(doc.chosen, live);
  assert.is(doc.servers.length, expected);
  const down = doc.servers.filter((s) => s.server !== live);
  for (const s of down) {
    assert.is(s.status, 'Down', s.server);
    assert.match(s.error!.message, /^ECONNREFUSED: /, `${s.server}: ${s.error!.message}`);
  }
}

test('64 servers (a connected UDP socket each) under ulimit -n 256: decided before the TCP timer, every dead one refused', async () => {
  const live = await fleet.start(1, { ad: sampleAdvertisement({ hostname: 'app1' }) });
  const { code, doc, stderr } = await runLimited(serverList(64, live.address, 40));
  assert.is(stderr, '');
  assert.is(code, 0);
  assertRefusedButLive(doc, live.address, 64);
  for (const s of doc.servers.filter((x) => x.server !== live.address)) assert.match(s.error!.message, /UDP port unreachable/);
  // The TCP timer is at 40 % of the deadline: nothing waited for it.
  assert.ok(doc.elapsedMs < TCP_TIMER_MS, `decided at ${doc.elapsedMs} ms`);
});

test('1,000 servers under ulimit -n 256: the first 256 used (one warning), one socket per family, TCP 64 at a time, decided and printed', async () => {
  const live = await fleet.start(2, { ad: sampleAdvertisement({ hostname: 'app2' }) });
  const { code, doc, stderr } = await runLimited(serverList(1000, live.address, 200));
  assert.match(stderr, /^<4>.*256 servers.*\n$/);
  assert.is(code, 0);
  assertRefusedButLive(doc, live.address, 256);
  // Unconnected, the refused ones wait for the TCP timer; refused there, not at the deadline.
  assert.ok(doc.elapsedMs < DEADLINE_MS, `decided at ${doc.elapsedMs} ms`);
});

test('30 live servers under ulimit -n 40: the connected sockets that cannot be opened (EMFILE) hand their server to the shared socket; every server found over UDP', async () => {
  for (let n = 11; n <= 40; n++) await fleet.start(n, { ad: sampleAdvertisement({ hostname: `app${n}` }) });
  const list = Array.from({ length: 30 }, (_, i) => fleet.address(i + 11));
  // Node holds 12-23 descriptors itself: 40 leaves room for some of the 30 sockets, not all.
  const { code, doc, stderr } = await runLimited(list, 40);
  assert.is(stderr, '');
  assert.is(code, 0);
  assert.equal(doc.servers.map((s) => [s.status === 'Down' ? s.error!.message : 'up', s.via]), list.map(() => ['up', 'udp']));
});

test.run();
