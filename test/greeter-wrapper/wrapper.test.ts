/**
 * The greeter wrapper as LDM runs it: the bundled CommonJS file (what the chroot gets as
 * /usr/share/ltsp/ltsp-balance-greeter) started as LDM_GREETER by a faithful LDM stand-in
 * (testing/ldm/ldm-standin.ts: the protocol lines of ldm.c, plugin.c and ldmgreetercomm.c), with a
 * scripted stand-in greeter behind it (testing/ldm/scripted-greeter.ts: greeter.c's command
 * handling) and real advertise daemons on loopback port 377.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSurveyCache } from '../../balance/cache-write.ts';
import { surveyServers } from '../../balance/probe/survey.ts';
import { parseServerList } from '../../balance/servers.ts';
import { bundleCommand } from '../../scripts/bundle.mjs';
import { FIXTURES, startDaemon, stopAll, type Daemon } from '../../testing/advertise/helpers.ts';
import { randomSubnet } from '../../testing/get-hosts/fake-fleet.ts';
import { cleanup, start, tempDir } from '../../testing/greeter-bridge/helpers.ts';

const root = new URL('../..', import.meta.url).pathname;
const dir = tempDir('ltsp-wrapper-');
const wrapper = join(dir, 'ltsp-balance-greeter');
const greeter = join(dir, 'ldmgtkgreet');
const subnet = randomSubnet();
const A = `${subnet}.2`; // idle, weight 200: the best
const B = `${subnet}.3`; // idle
const C = `${subnet}.4`; // busy: 1.95 load per CPU, Loaded
const daemons = new Map<string, Daemon>();
let counter = 0;

test.before(async () => {
  await bundleCommand('ltsp-balance-greeter', wrapper, { format: 'cjs' });
  // The scripted greeter through tsx, behind a shell script: LDM and the wrapper exec a path.
  writeFileSync(greeter, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} --import ${join(root, 'node_modules/tsx/dist/loader.mjs')} ${join(root, 'testing/ldm/scripted-greeter.ts')}\n`, { mode: 0o755 });
  for (const [host, fixture] of [[A, 'idle'], [B, 'idle'], [C, 'busy']] as const) {
    daemons.set(host, await startDaemon({ host, port: 377, procfs: join(FIXTURES, fixture), args: ['--hostname', `app-${host.split('.')[3]}`] }));
  }
});
test.after(async () => {
  await stopAll();
  await cleanup();
});

interface Login {
  ok: boolean;
  server?: string;
  user?: string;
  password?: string;
  error?: string;
  callbacks?: string[];
}

interface Case {
  script?: Record<string, unknown>;
  env?: Record<string, string>;
  /** Called once the greeter is up and waiting for the password (the user is typing). */
  whileTyping?: (paths: { choice: string }) => Promise<void> | void;
}

/** One login through the LDM stand-in; returns what LDM logged in to, and the wrapper's log. */
async function login(c: Case = {}): Promise<{ result: Login; log: string; commands: string[]; ms: number }> {
  const n = ++counter;
  const ready = join(dir, `ready-${n}`);
  const gate = join(dir, `gate-${n}`);
  const record = join(dir, `commands-${n}`);
  const choice = join(dir, `choice-${n}`);
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LDM_') && k !== 'SERVER'));
  const env = {
    ...clean,
    LDM_GREETER: wrapper,
    LDM_BALANCE_GREETER: greeter,
    LDM_SERVER: `${A} ${B} ${C}`, // what get_hosts printed when the greeter started
    LDM_BALANCE_SERVERS: `${A} ${B} ${C}`,
    LDM_BALANCE_ALGORITHM: 'best',
    LDM_BALANCE_WEIGHTS: `${A}=200`,
    LDM_BALANCE_TIMEOUT_MS: '1500', // the daemons answer from a loaded, shared machine
    LDM_BALANCE_MAX_RTT_MS: '0', // ... where a round trip over 100 ms would make a server Busy: not under test here
    LDM_BALANCE_CACHE: join(dir, 'no-cache.json'),
    LDM_BALANCE_DISCOVER: 'N',
    LDM_BALANCE_BRIDGE_OUTPUT: choice,
    GREETER_SCRIPT: JSON.stringify({ ready, gate, record, ...c.script }),
    ...c.env,
  };
  const t0 = Date.now();
  const ldm = start(process.execPath, ['--import', 'tsx', 'testing/ldm/ldm-standin.ts'], { env });
  const readyOrDone = Promise.race([waitFile(ready), ldm.exited]);
  await readyOrDone;
  await c.whileTyping?.({ choice });
  writeFileSync(gate, '');
  await ldm.exited;
  const out = ldm.stdout().trim();
  let commands: string[] = [];
  try {
    commands = readFileSync(record, 'utf8').trim().split('\n');
  } catch {
    // the greeter never ran or crashed first
  }
  return { result: JSON.parse(out || '{}') as Login, log: ldm.stderr(), commands, ms: Date.now() - t0 };
}

async function waitFile(path: string): Promise<void> {
  for (let i = 0; i < 1500; i++) {
    try {
      readFileSync(path);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error(`${path} never appeared`);
}

test('the user picks nothing: LDM logs in to the best server at login time', async () => {
  const { result, log, commands } = await login();
  assert.ok(result.ok, JSON.stringify(result) + log);
  assert.is(result.server, A);
  assert.is(result.user, 'alice');
  assert.is(result.password, 'secret');
  assert.match(log, new RegExp(`hostname: ${A.replaceAll('.', '\\.')} in [\\d.]+ ms: best: `));
  // The status menu: every server, with its status, none hidden; the busy one shown Loaded.
  const menu = commands.find((l) => l.startsWith('pref choice;ltsp-server;'));
  assert.ok(menu, commands.join('\n'));
  const entries = menu!.split(';')[5]!.split('|');
  assert.equal(entries.map((e) => e.split(' ')[0]), [A, B, C]);
  assert.match(entries[0]!, /\(Idle, load 0\.\d\d per CPU, \d+ users, recommended\)/);
  assert.match(entries[2]!, /\(Loaded, load 1\.95 per CPU/);
  // LDM's own protocol reached the greeter untouched, in order.
  assert.equal(commands.filter((l) => !l.startsWith('pref choice;ltsp-server') && !l.startsWith('value ltsp-server')), [
    'pref choice;backend;Authentication Backend;Select _Backend ...;session;ssh', 'value backend', 'allowguest true',
    'prompt <b>Username</b>', 'userid', 'prompts <b>Password</b>', 'passwd', 'msg <b>Verifying password.  Please wait.</b>',
    'hostname', 'language', 'session', 'quit',
  ]);
});

test('the user picks a server in the status menu: LDM logs in there (and never sees the @ltsp-server@ notice)', async () => {
  const { result, log } = await login({ script: { pickMenu: C } });
  assert.ok(result.ok, log);
  assert.is(result.server, C);
  assert.is(result.user, 'alice'); // the notice was not taken as the user name
  assert.match(log, /the user picked .* in the status menu/);
});

test("the user picks a server in the greeter's own host menu: LDM logs in there", async () => {
  const { result } = await login({ script: { pickHost: B } });
  assert.is(result.server, B);
});

test('the chosen server dies between greeter start and login: never answered', async () => {
  const victim = await startDaemon({ host: `${subnet}.9`, port: 377, procfs: join(FIXTURES, 'idle'), args: ['--hostname', 'victim'] });
  const V = `${subnet}.9`;
  const cache = join(dir, 'bridge-cache.json');
  const list = `${V} ${A} ${B} ${C}`;
  // The bridge's survey while everyone is alive; the victim is the best (weight 400).
  writeSurveyCache(cache, await surveyServers(parseServerList(list, 'test'), { timeoutMs: 1500 }), Date.now());
  const env = { LDM_SERVER: list, LDM_BALANCE_SERVERS: list, LDM_BALANCE_WEIGHTS: `${V}=400 ${A}=200`, LDM_BALANCE_CACHE: cache, LDM_BALANCE_CACHE_MAX_AGE_MS: '600000' };
  const { result, log, commands } = await login({ env, whileTyping: async () => void (await victim.stop('SIGKILL')) });
  assert.ok(result.ok, log);
  assert.is(result.server, A);
  assert.ok(commands.some((l) => l.startsWith(`pref choice;ltsp-server;Application server`) && l.includes(`${V} (Idle`)), 'the victim was shown alive before');
  assert.match(log, new RegExp(`hostname: ${A.replaceAll('.', '\\.')}`));
});

test('the bridge is not running (no cache): the wrapper surveys itself within the deadline', async () => {
  const { result, log } = await login({ env: { LDM_BALANCE_CACHE: join(dir, 'nothing-here.json') } });
  assert.is(result.server, A);
  assert.not.match(log, /<3>/);
});

test("a choice from the bridge for this session is answered; one naming a host outside the list is not", async () => {
  const picked = await login({ whileTyping: ({ choice }) => writeFileSync(choice, `${B}\n`) });
  assert.is(picked.result.server, B);
  assert.match(picked.log, /the user picked .* in the bridge \(choice file\)/);
  const outside = await login({ whileTyping: ({ choice }) => writeFileSync(choice, 'evil.example.org\n') });
  assert.is(outside.result.server, A);
  assert.match(outside.log, /pick "evil\.example\.org" in the bridge \(choice file\) is not in the server list: not used/);
});

test('a choice file that is stale, huge, a FIFO or a symlink: refused with a reason, the best server answered, no hang', async () => {
  const cases: Array<[string, (p: string) => void, RegExp]> = [
    ['stale', (p) => {
      writeFileSync(p, `${B}\n`);
      const old = (Date.now() - 3600_000) / 1000;
      utimesSync(p, old, old);
    }, /written before this greeter started \(stale\)/],
    ['huge', (p) => writeFileSync(p, `${B}\n${'x'.repeat(1 << 20)}`), /is 1048\d+ bytes, more than 512/],
    ['fifo', (p) => execFileSync('mkfifo', [p]), /is not a regular file/],
    ['symlink', (p) => {
      const target = join(dir, `target-${Math.random()}`);
      writeFileSync(target, `${B}\n`);
      symlinkSync(target, p);
    }, /is a symlink/],
  ];
  for (const [what, make, why] of cases) {
    const { result, log } = await login({ whileTyping: ({ choice }) => make(choice) });
    assert.is(result.server, A, what);
    assert.match(log, why, what);
  }
});

test('the greeter crashes after the password: LDM still gets a host, language and session', async () => {
  const { result, log } = await login({ script: { crashOn: 'hostname' } });
  assert.ok(result.ok, log);
  assert.is(result.server, A);
});

test('the greeter crashes before the user name: LDM sees the end of input, as without the wrapper', async () => {
  const { result } = await login({ script: { crashOn: 'userid', ready: undefined } });
  assert.is(result.ok, false);
  assert.match(result.error!, /from greeter failed/);
});

test('the greeter is silent on hostname: LDM gets the decision after the reply wait', async () => {
  const { result, log } = await login({ script: { silentOn: 'hostname' }, env: { LDM_BALANCE_GREETER_REPLY_MS: '500' } });
  assert.is(result.server, A);
  assert.match(log, /did not answer within 500 ms/);
});

test('garbage and huge lines from the greeter: dropped or passed as LDM would, the login goes on', async () => {
  const { result, log } = await login({ script: { hugeLineBytes: 5 * 1024 * 1024, extraLines: ['@ltsp-server@', '@whatever@'], hostnameReply: 'rm -rf /;' } });
  assert.ok(result.ok, log);
  assert.is(result.password, 'secret');
  assert.is(result.server, A); // the greeter's garbage host is not in the list
  assert.match(log, /the greeter sent a line of 524\d+ bytes \(limit 65536\): dropped/);
});

test('no server answers: a configured one, never an empty answer', async () => {
  const { result, log } = await login({ env: { LDM_BALANCE_SERVERS: `${subnet}.200 ${subnet}.201`, LDM_BALANCE_TIMEOUT_MS: '200' } });
  assert.ok(result.ok, log);
  assert.ok([`${subnet}.200`, `${subnet}.201`].includes(result.server!), result.server);
});

test("no decision possible (nothing configured, nothing to discover): LDM gets the greeter's own answer", async () => {
  const { result, log } = await login({ script: { pickHost: B }, env: { LDM_BALANCE_SERVERS: '' } });
  assert.ok(result.ok, log);
  assert.is(result.server, B);
  assert.match(log, /no decision .*the greeter's own answer stands/);
});

test('LDM_BALANCE_GREETER naming the wrapper itself is refused, not a fork loop', async () => {
  const { result, log } = await login({ env: { LDM_BALANCE_GREETER: wrapper } });
  assert.is(result.ok, false);
  assert.match(log, /is this wrapper itself/);
});

test.run();
