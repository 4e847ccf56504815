/**
 * bin/get_hosts.ts as LDM and people run it: a real process against real servers on loopback.
 */
import { test } from 'uvu';
import { runProcess, type ProcessResult } from '../../testing/helpers/process.ts';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSurveyCache } from '../../balance/cache-write.ts';
import { localIdentity } from '../../ltsp/identity.ts';
import { sampleAdvertisement } from '../../testing/sample-advertisement.ts';
import { bundleGetHosts } from '../../testing/get-hosts/bundle.ts';
import { Fleet } from '../../testing/get-hosts/fake-fleet.ts';
import { LOADED_SLACK_MS } from '../../testing/helpers/wait.ts';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'get-hosts-cli-'));
const fleet = new Fleet();
const closers: Array<() => Promise<void>> = [];
const idle = (n: number) => sampleAdvertisement({ hostname: `app${n}`, cpus: 4, loadavg1: 0.2, loadavg5: 0.2, loginsLast60s: 0, rating: 90 });
const loadedAd = (n: number, perCpu: number) => sampleAdvertisement({ hostname: `app${n}`, cpus: 4, loadavg1: perCpu * 4, loadavg5: perCpu * 4, loginsLast60s: 0 });

/** No LDM_BALANCE_* from the developer's shell; a private cache path; no discovery broadcast. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LDM_') && k !== 'SERVER'));
  return { ...env, LDM_BALANCE_CACHE: join(dir, 'no-cache.json'), LDM_BALANCE_DISCOVER: 'N', ...extra };
}

/**
 * For tests of a choice, not of timing: the fake servers answer from this test process, which a
 * loaded machine may deschedule past the 300 ms deadline or the 100 ms round-trip ceiling, turning an
 * answer into Down or Busy and moving the choice. Tests of the deadline keep the defaults.
 */
const NOT_TIMING = { LDM_BALANCE_TIMEOUT_MS: '3000', LDM_BALANCE_MAX_RTT_MS: '0' };

function conf(text: string | Buffer): string {
  const path = join(dir, `lts-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(path, text);
  return path;
}

type Run = ProcessResult;

function run(args: string[], env: NodeJS.ProcessEnv, command = process.execPath, fullArgs?: string[]): Promise<Run> {
  return runProcess(command, fullArgs ?? ['--import', 'tsx', 'bin/get_hosts.ts', ...args], { cwd: root, env, timeoutMs: 20_000 });
}

/** Exactly how LDM's screen script uses it: command substitution in sh, no arguments. */
function asLdm(env: NodeJS.ProcessEnv): Promise<Run> {
  const script = `LDM_SERVER=$(${JSON.stringify(process.execPath)} --import tsx bin/get_hosts.ts); echo "$LDM_SERVER"`;
  return run([], env, '/bin/sh', ['-c', script]);
}

test.after.each(async () => {
  await fleet.close();
  for (const close of closers.splice(0)) await close();
});
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('as LDM calls it: the least loaded first, then the other usable servers', async () => {
  await fleet.start(2, { ad: loadedAd(2, 0.9) });
  await fleet.start(3, { ad: loadedAd(3, 0.1) });
  await fleet.start(4, { ad: loadedAd(4, 0.5) });
  await fleet.start(5, { ad: loadedAd(5, 3) }); // over the default ceiling of 2 per CPU
  const servers = [2, 3, 4, 5].map((n) => fleet.address(n)).join(' ');
  const r = await asLdm(cleanEnv({ LDM_BALANCE_SERVERS: servers, LDM_BALANCE_ALGORITHM: 'best', ...NOT_TIMING }));
  assert.is(r.stdout, `${fleet.address(3)} ${fleet.address(4)} ${fleet.address(2)}\n`);
  assert.is(r.stderr, '');
});

test('as LDM calls it with no server answering: the configured list, never nothing', async () => {
  const servers = `${fleet.address(7)} ${fleet.address(8)}`;
  const r = await asLdm(cleanEnv({ LDM_BALANCE_SERVERS: servers }));
  assert.equal(r.stdout.trim().split(' ').sort(), [fleet.address(7), fleet.address(8)]);
  const direct = await run([], cleanEnv({ LDM_BALANCE_SERVERS: servers }));
  assert.is(direct.code, 9); // unavailable: none answered, the configured list printed
});

test('settings come from lts.conf when the environment has none; XDMCP prints only the chosen host', async () => {
  await fleet.start(2, { ad: idle(2) });
  await fleet.start(3, { ad: idle(3) });
  const path = conf(`[Default]\nLDM_BALANCE_SERVERS = "${fleet.address(2)}, ${fleet.address(3)}"\nLDM_BALANCE_XDMCP = Y\n`);
  const r = await run(['--config', path], cleanEnv(NOT_TIMING));
  assert.is(r.code, 0);
  assert.match(r.stdout, /^127\.\d+\.\d+\.[23]\n$/);
});

test('garbage lts.conf: getltscfg stops at the first syntax error (one clear warning, bytes escaped); what came before counts; a host printed, exit 5', async () => {
  await fleet.start(2, { ad: idle(2) });
  const path = conf(`[Default]\nLDM_BALANCE_SERVERS=${fleet.address(2)}\nLDM_BALANCE_ALGORITHM = quantum\n\x01\x02 junk line\nLDM_BALANCE_TIMEOUT_MS = -5\n`);
  const r = await run(['--config', path], cleanEnv());
  assert.is(r.code, 5);
  assert.is(r.stdout, `${fleet.address(2)}\n`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.is(lines.length, 2, r.stderr);
  assert.match(lines[0]!, /^<4>.* line 5: syntax error: "LDM_BALANCE_TIMEOUT_MS" where getltscfg expects "=" after the key; .*line 4, "\\x01\\x02 junk line", is not KEY = value$/);
  assert.match(lines[1]!, new RegExp(`^<4>${path} line 3: LDM_BALANCE_ALGORITHM="quantum" is not one of .*; using two-choices$`));
});

test('a binary lts.conf: at most 20 warning lines plus a count, nothing but printable ASCII, still a host', async () => {
  await fleet.start(2, { ad: idle(2) });
  let text = `[Default]\nLDM_BALANCE_SERVERS = ${fleet.address(2)}\n`;
  for (let i = 0; i < 50; i++) text += `[Default]\nX${i} = \xff\x1b(2J\n`;
  const r = await run(['--config', conf(Buffer.concat([Buffer.from(text, 'latin1'), Buffer.from([0xc3, 0x28, 0x00, 0x0a, 0xfe])]))], cleanEnv());
  assert.is(r.stdout, `${fleet.address(2)}\n`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.ok(lines.length <= 21, r.stderr);
  assert.match(lines.at(-1)!, /more lts\.conf problem\(s\) not shown/);
  assert.not.match(r.stderr, /[^\x20-\x7e\n]/);
});

test('--servers past 256 entries: the same rule as lts.conf (one warning naming the cap, the first 256 used), not a usage error', async () => {
  const list = Array.from({ length: 260 }, (_, i) => `127.0.${1 + (i >> 8)}.${(i & 255) + 1}:9`).join(' ');
  const r = await run(['--servers', list, '--timeout', '50', '--config', '/dev/null'], cleanEnv());
  assert.is(r.code, 9); // nobody answered (EXIT.noneAnswered)
  assert.is(r.stdout.trim().split(' ').length, 256);
  const warnings = r.stderr.split('\n').filter((l) => l.includes('past the limit'));
  assert.equal(warnings, ['<4>--servers: server entry "127.0.2.1:9" and 3 more entries after it are past the limit of 256 servers: ignored; the first 256 servers at most are used']);
});

test('a garbage environment value: warning, default, host printed', async () => {
  await fleet.start(2, { ad: idle(2) });
  const r = await run([], cleanEnv({ LDM_BALANCE_SERVERS: fleet.address(2), LDM_BALANCE_MAX_RTT_MS: 'fast' }));
  assert.is(r.code, 5);
  assert.is(r.stdout, `${fleet.address(2)}\n`);
  assert.is(r.stderr, '<4>environment: LDM_BALANCE_MAX_RTT_MS="fast" is not a whole number; using 100\n');
});

test('nothing configured at all: exit 10 (not found), a clear error, nothing on stdout; SERVER is the last resort', async () => {
  const none = await run([], cleanEnv());
  assert.is(none.code, 10);
  assert.is(none.stdout, '');
  assert.match(none.stderr, /ERR_NO_SERVERS/);
  await fleet.start(2, { ad: idle(2) });
  // Surveyed at SERVER's address, printed as LTSP's name for it: its ssh key is known as "server".
  const boot = await run([], cleanEnv({ SERVER: fleet.address(2), ...NOT_TIMING }));
  assert.is(boot.stdout, 'server\n');
  assert.is(boot.code, 0);
  const silent = await run([], cleanEnv({ SERVER: fleet.address(9) }));
  assert.is(silent.stdout, 'server\n');
  assert.is(silent.code, 9);
  // Listed by the administrator, the same address stays as written.
  const listed = await run([], cleanEnv({ SERVER: fleet.address(2), LDM_BALANCE_SERVERS: fleet.address(2), ...NOT_TIMING }));
  assert.is(listed.stdout, `${fleet.address(2)}\n`);
});

test('an include getltscfg crashes on (a missing file): no lts.conf value, as on the client; one clear warning; the boot server (SERVER) still printed, as `server`', async () => {
  await fleet.start(2, { ad: idle(2) });
  await fleet.start(3, { ad: idle(3) });
  const path = conf(`[Default]\nLDM_BALANCE_SERVERS = ${fleet.address(3)}\ninclude ${join(dir, 'no-such.conf')}\n[tc]\nX = 1\n`);
  const r = await run(['--config', path], cleanEnv({ SERVER: fleet.address(2) }));
  assert.is(r.stdout, 'server\n');
  assert.is(r.code, 5);
  assert.match(r.stderr, new RegExp(`^<4>${path} line 3: include .*no-such\\.conf: cannot be opened \\(ENOENT\\), and getltscfg then calls fclose\\(NULL\\) and crashes, printing nothing .*; no lts\\.conf value is used\n`));
});

test('flags: --servers overrides the configured list, --algorithm, --timeout; bad flags exit 2', async () => {
  await fleet.start(2, { ad: idle(2) });
  await fleet.start(3, { ad: loadedAd(3, 1.5) });
  const r = await run(['--servers', `${fleet.address(3)},${fleet.address(2)}`, '--algorithm', 'fixed', '--timeout', '3000'], cleanEnv({ LDM_BALANCE_SERVERS: fleet.address(9), LDM_BALANCE_MAX_RTT_MS: '0' }));
  assert.is(r.stdout, `${fleet.address(3)} ${fleet.address(2)}\n`);
  for (const bad of [['--algorithm', 'nope'], ['--timeout', '5'], ['--mac', 'xyz'], ['--servers', 'a:0'], ['--bogus'], ['extra']]) {
    const b = await run(bad, cleanEnv());
    assert.is(b.code, 2, bad.join(' '));
    assert.is(b.stdout, '');
    assert.match(b.stderr, /^<3>.*\(ERR_USAGE\)\n$/);
  }
});

test('--explain: per server what it reported, status, filter, and why the winner won', async () => {
  await fleet.start(2, { ad: idle(2) });
  await fleet.start(3, { ad: sampleAdvertisement({ hostname: 'app3', swapInPerSec: 300 }) });
  await fleet.start(4, { ad: idle(4), udp: { kind: 'raw', text: '<!DOCTYPE x><advertise/>' } });
  const servers = [2, 3, 4, 5].map((n) => fleet.address(n)).join(',');
  const r = await run(['--servers', servers, '--explain', '--mac', '02:00:00:00:00:01'], cleanEnv(NOT_TIMING));
  assert.is(r.code, 0);
  const out = r.stdout;
  assert.match(out, /^get_hosts: survey of 4 server\(s\) in [\d.]+ ms \(deadline 3000 ms\), client 02:00:00:00:00:01\n/);
  assert.match(out, new RegExp(`${fleet.address(2).replace(/\./g, '\\.')} +Idle +udp`));
  assert.match(out, /Swapped .* swapping +swapping 300 pages\/s now/);
  assert.match(out, /Down .* down +ERR_WIRE_UNSAFE: document contains a DOCTYPE/);
  assert.match(out, /Down .* down +ERR_SURVEY_NETWORK: ECONNREFUSED/);
  assert.match(out, new RegExp(`chosen: ${fleet.address(2).replace(/\./g, '\\.')} \\(two-choices\\)\nwhy: ${fleet.address(2).replace(/\./g, '\\.')} is the only usable server\nhosts: ${fleet.address(2).replace(/\./g, '\\.')}\n$`));
});

test('--json: the same for scripts; the default MAC is this machine\'s first interface', async () => {
  await fleet.start(2, { ad: idle(2) });
  await fleet.start(3, { ad: loadedAd(3, 0.6) });
  const r = await run(['--servers', `${fleet.address(2)} ${fleet.address(3)}`, '--json', '--algorithm', 'best'], cleanEnv(NOT_TIMING));
  const doc = JSON.parse(r.stdout);
  assert.is(doc.format, 'ltsp-balance-get-hosts/1');
  assert.is(doc.chosen, fleet.address(2));
  assert.equal(doc.hosts, [fleet.address(2), fleet.address(3)]);
  assert.is(doc.client, localIdentity().mac ?? localIdentity().hostname);
  assert.is(doc.servers[1].reported.loadavg1, 2.4);
  assert.is(doc.servers[1].reported.userNames, undefined);
  assert.is(doc.servers[0].status, 'Idle');
  assert.ok(doc.servers[0].rttMs >= 0);
  assert.ok(doc.servers[0].score.value > doc.servers[1].score.value);
});

test('machash: the same MAC gets the same server every time', async () => {
  for (const n of [2, 3, 4, 5]) await fleet.start(n, { ad: idle(n) });
  const servers = [2, 3, 4, 5].map((n) => fleet.address(n)).join(' ');
  const firsts = new Set<string>();
  for (let i = 0; i < 3; i++) {
    const r = await run(['--algorithm', 'machash', '--mac', '02:00:00:aa:bb:01'], cleanEnv({ LDM_BALANCE_SERVERS: servers, ...NOT_TIMING }));
    firsts.add(r.stdout.split(' ')[0]!);
  }
  assert.is(firsts.size, 1);
});

test('a fresh survey cache is used instead of querying; a stale one is not', async () => {
  // Both servers run: a decision from the cache queries the chosen one again (issue 11), and a
  // server that does not answer is not chosen from the cache.
  await fleet.start(2, { ad: idle(2) });
  await fleet.start(3, { ad: loadedAd(3, 1.9) });
  const cache = join(dir, 'survey.json');
  const a = { host: fleet.address(2), port: 377 };
  const b = { host: fleet.address(3), port: 377 };
  writeSurveyCache(cache, [
    { server: a, reachable: true, ad: idle(2), rttMs: 1, via: 'udp' },
    { server: b, reachable: true, ad: loadedAd(3, 1.9), rttMs: 1, via: 'udp' },
  ], Date.now());
  const env = cleanEnv({ LDM_BALANCE_SERVERS: `${a.host} ${b.host}`, LDM_BALANCE_CACHE: cache, LDM_BALANCE_ALGORITHM: 'best', ...NOT_TIMING });
  const fresh = await run(['--json'], env);
  assert.is(JSON.parse(fresh.stdout).source, 'cache');
  assert.is(JSON.parse(fresh.stdout).chosen, a.host);
  writeSurveyCache(cache, [], Date.now() - 60_000);
  const stale = await run(['--json'], env);
  assert.is(JSON.parse(stale.stdout).source, 'survey');
  assert.is(stale.stderr, '');
  writeFileSync(cache, '{"format":"ltsp-balance-survey/1","writtenAtMs":');
  const corrupt = await run([], env);
  assert.match(corrupt.stderr, /^<4>survey cache not used: .*survey\.json: .*JSON/);
  assert.is(corrupt.code, 0); // surveyed instead: both servers answer
});

test('loadbalancer: the central balancer\'s answer over HTTP, the local choice when it is silent', async () => {
  await fleet.start(2, { ad: idle(2) });
  await fleet.start(3, { ad: loadedAd(3, 0.9) });
  const lbAddress = fleet.address(20);
  let mode: 'answer' | 'silent' = 'answer';
  const lb: Server = createServer((_req, res) => {
    if (mode === 'answer') res.end(`${fleet.address(3)}\n`);
    // silent: never answers; the deadline ends it
  });
  await new Promise<void>((resolve) => lb.listen(8008, lbAddress, resolve));
  closers.push(() => new Promise((resolve) => { lb.closeAllConnections(); lb.close(() => resolve()); }));
  const env = cleanEnv({ LDM_BALANCE_SERVERS: `${fleet.address(2)} ${fleet.address(3)}`, LDM_BALANCE_ALGORITHM: 'loadbalancer', LDM_BALANCE_FALLBACK_ALGORITHM: 'best', LDM_BALANCE_LOADBALANCER: lbAddress });
  const asked = JSON.parse((await run(['--json'], { ...env, ...NOT_TIMING })).stdout);
  assert.equal([asked.chosen, asked.algorithm], [fleet.address(3), 'loadbalancer']);
  mode = 'silent';
  const silent = await run(['--json'], env);
  const doc = JSON.parse(silent.stdout);
  assert.equal([doc.chosen, doc.algorithm, doc.fallback], [fleet.address(2), 'best', 'loadbalancer-unusable']);
  assert.match(doc.reason, /no answer before the deadline/);
  assert.ok(doc.elapsedMs < 300 + LOADED_SLACK_MS, String(doc.elapsedMs));
});

test('login-path check: a server whose ssh port is closed is Down; an open one stays', async () => {
  await fleet.start(2, { ad: idle(2) });
  await fleet.start(3, { ad: idle(3) });
  const sshd: TcpServer = createTcpServer((s) => s.destroy());
  await new Promise<void>((resolve) => sshd.listen(2222, fleet.address(3), resolve));
  closers.push(() => new Promise((resolve) => sshd.close(() => resolve())));
  const env = cleanEnv({ LDM_BALANCE_SERVERS: `${fleet.address(2)} ${fleet.address(3)}`, LDM_BALANCE_LOGIN_CHECK: 'Y', LDM_BALANCE_LOGIN_PORT: '2222', ...NOT_TIMING });
  const doc = JSON.parse((await run(['--json'], env)).stdout);
  assert.is(doc.chosen, fleet.address(3));
  assert.equal([doc.servers[0].status, doc.servers[0].filteredBy], ['Down', 'login-path']);
  assert.match(doc.servers[0].detail, /login port 2222 refused/);
  assert.equal(doc.servers[1].login, { ok: true, port: 2222 });
});

test('the ESM bundle (dist/bin/get_hosts.js) works as LDM runs it (the installed hook: test/get-hosts/hook.test.ts)', async () => {
  await fleet.start(2, { ad: idle(2) });
  const out = join(dir, 'dist');
  mkdirSync(out);
  await bundleGetHosts('esm', out);
  const script = `LDM_SERVER=$(${JSON.stringify(process.execPath)} ${join(out, 'get_hosts.js')}); echo "$LDM_SERVER"`;
  const r = await run([], cleanEnv({ LDM_BALANCE_SERVERS: `${fleet.address(2)} ${fleet.address(3)}`, ...NOT_TIMING }), '/bin/sh', ['-c', script]);
  assert.is(r.stdout, `${fleet.address(2)}\n`);
  assert.is(r.stderr, '');
});

test.run();
