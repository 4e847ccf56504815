/**
 * `get_hosts --replay`: a live run's --json line, fed back, gives the same decision with no network;
 * garbage is refused line by line. The bundled command (as installed), against real servers on loopback.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleGetHosts } from '../../testing/get-hosts/bundle.ts';
import { Fleet } from '../../testing/get-hosts/fake-fleet.ts';
import { sampleAdvertisement } from '../../testing/sample-advertisement.ts';

const dir = mkdtempSync(join(tmpdir(), 'get-hosts-replay-'));
const fleet = new Fleet();
let bundle = '';

interface Run { code: number; stdout: string; stderr: string }
function getHosts(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LDM_') && k !== 'SERVER'));
  return new Promise((resolve) => {
    execFile(process.execPath, [bundle, ...args], { env: { ...clean, LDM_BALANCE_CACHE: join(dir, 'none.json'), LDM_BALANCE_DISCOVER: 'N', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test.before(async () => {
  bundle = join(await bundleGetHosts('cjs', dir), 'get_hosts.cjs');
  // A mixed fleet: sizes, loads and sessions differ, one server swaps, one is draining.
  await fleet.start(2, { ad: sampleAdvertisement({ hostname: 'app2', cpus: 4, loadavg1: 1, loadavg5: 1, sessions: 10, users: 10, loginsLast60s: 0 }) });
  await fleet.start(3, { ad: sampleAdvertisement({ hostname: 'app3', cpus: 20, loadavg1: 6, loadavg5: 6, sessions: 40, users: 40, loginsLast60s: 0 }) });
  await fleet.start(4, { ad: sampleAdvertisement({ hostname: 'app4', cpus: 8, loadavg1: 2, loadavg5: 2, sessions: 12, users: 12, loginsLast60s: 0, weight: 50 }) });
  await fleet.start(5, { ad: sampleAdvertisement({ hostname: 'app5', cpus: 8, loadavg1: 1, loadavg5: 1, sessions: 3, users: 3, swapInPerSec: 100, swapOutPerSec: 100 }) });
  await fleet.start(6, { ad: sampleAdvertisement({ hostname: 'app6', cpus: 12, loadavg1: 1, loadavg5: 1, sessions: 0, users: 0, state: 'draining' }) });
});
test.after(async () => {
  await fleet.close();
  rmSync(dir, { recursive: true, force: true });
});

const servers = (): string => [2, 3, 4, 5, 6, 7].map((n) => fleet.address(n)).join(' '); // .7: nobody there

test('a live --json line replays to exactly the live decision, for every algorithm', async () => {
  const lines: string[] = [];
  const live: Array<{ chosen: string; hosts: string[] }> = [];
  for (const algorithm of ['two-choices', 'deficit', 'weighted', 'machash', 'random', 'best', 'fixed']) {
    const r = await getHosts(['--json', '--servers', servers(), '--algorithm', algorithm, '--timeout', '2000']);
    assert.is(r.stdout.split('\n').length, 2, 'one JSON line');
    const doc = JSON.parse(r.stdout);
    assert.type(doc.seed, 'number');
    lines.push(r.stdout.trim());
    live.push({ chosen: doc.hosts[0], hosts: doc.hosts });
  }
  writeFileSync(join(dir, 'live.jsonl'), `${lines.join('\n')}\n`);
  const r = await getHosts(['--replay', join(dir, 'live.jsonl')]);
  assert.is(r.stderr, '');
  assert.is(r.code, 0);
  const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(out.length, live.length);
  out.forEach((d, i) => {
    assert.is(d.line, i + 1);
    assert.is(d.chosen, live[i]!.chosen, `line ${i + 1}`);
    assert.equal(d.hosts, live[i]!.hosts, `line ${i + 1}`);
  });
});

test('overrides: another algorithm, MAC or seed on the same survey', async () => {
  const r0 = await getHosts(['--json', '--servers', servers(), '--algorithm', 'best', '--timeout', '2000']);
  const doc = JSON.parse(r0.stdout);
  const base = { ...doc };
  const lines = [
    JSON.stringify({ ...base, override: { algorithm: 'fixed' } }),
    JSON.stringify({ ...base, override: { algorithm: 'machash', mac: '02:00:00:00:00:01' } }),
    JSON.stringify({ ...base, override: { algorithm: 'machash', mac: '02:00:00:00:00:01' } }),
  ];
  writeFileSync(join(dir, 'over.jsonl'), lines.join('\n'));
  const r = await getHosts(['--replay', join(dir, 'over.jsonl')]);
  assert.is(r.code, 0, r.stderr);
  const [fixed, hash1, hash2] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.is(fixed.algorithm, 'fixed');
  assert.is(fixed.chosen, fleet.address(2), 'fixed: the first configured usable server');
  assert.is(hash1.chosen, hash2.chosen, 'machash: the same MAC, the same server');
  assert.is(hash1.algorithm, 'machash');
});

test('garbage is refused line by line, naming the line, and the rest goes on', async () => {
  const r0 = await getHosts(['--json', '--servers', servers(), '--timeout', '2000']);
  const good = r0.stdout.trim();
  const doc = JSON.parse(good);
  const badAd = JSON.parse(good);
  badAd.servers[0].reported.cpus = -3;
  const huge = `{"format":"ltsp-balance-get-hosts/1","pad":"${'x'.repeat(1100 * 1024)}"}`;
  const lines = [
    good,
    'not json at all \x01\x02',
    JSON.stringify({ ...doc, format: 'other/9' }),
    JSON.stringify(badAd),
    JSON.stringify({ ...doc, servers: [] }),
    JSON.stringify({ ...doc, override: { algorithm: 'quantum' } }),
    huge,
    '',
    good,
  ];
  writeFileSync(join(dir, 'bad.jsonl'), lines.join('\n'));
  const r = await getHosts(['--replay', join(dir, 'bad.jsonl')]);
  assert.is(r.code, 5); // partial: two lines decided, six refused
  const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(out.map((d) => d.line), [1, 9]);
  assert.is(out[0].chosen, out[1].chosen);
  const errors = r.stderr.trim().split('\n');
  assert.is(errors.length, 6);
  for (const [i, line] of [2, 3, 4, 5, 6, 7].entries()) assert.match(errors[i]!, new RegExp(`^<3>line ${line}: .*\\(ERR_REPLAY_LINE\\)$`));
  assert.match(errors[2]!, /cpus must be a number 1\.\.65536/);
  assert.match(errors[5]!, /longer than 1048576 bytes/);
  assert.not.match(r.stderr, /\x01/);
});

test('a missing file is a usage-class error, with nothing on stdout', async () => {
  const r = await getHosts(['--replay', join(dir, 'absent.jsonl')]);
  assert.is(r.code, 2);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /^<3>--replay .*absent\.jsonl: ENOENT \(ERR_REPLAY_FILE\)\n$/);
});

test.run();
