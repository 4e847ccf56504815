/**
 * ltsp/screen.d/xdmcp-balance as LTSP runs it: in a mount namespace whose /usr/share is an overlay
 * (nothing on the machine changes), /usr/share/ltsp holds the screen script, the get_hosts bundle
 * (CommonJS, as the chroot gets it) and stand-ins for LTSP's screen_session, ltsp_config and
 * screen-x-common (testing/ltsp/); screen_session runs SCREEN_07 the way LTSP's does. X is a stub on
 * PATH that records its arguments: X is not under test, the host it is told to query is. The
 * servers are real advertise daemons on loopback port 377. Needs root (namespaces, overlay).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, startDaemon, stopAll, type Daemon } from '../../testing/advertise/helpers.ts';
import { bundleGetHosts } from '../../testing/get-hosts/bundle.ts';
import { randomSubnet } from '../../testing/get-hosts/fake-fleet.ts';
import { cleanup, start, tempDir } from '../../testing/greeter-bridge/helpers.ts';

const root = new URL('../..', import.meta.url).pathname;
const dir = tempDir('ltsp-xdmcp-');
const staging = join(dir, 'usr-share-ltsp');
const stubs = join(dir, 'bin');
const subnet = randomSubnet();
const A = `${subnet}.2`;
const B = `${subnet}.3`;
const daemons = new Map<string, Daemon>();
let runs = 0;
let bundleFile = '';

test.before(async () => {
  mkdirSync(join(staging, 'screen.d'), { recursive: true });
  for (const f of ['screen_session', 'ltsp_config', 'screen-x-common']) copyFileSync(join(root, 'testing/ltsp', f), join(staging, f));
  copyFileSync(join(root, 'ltsp/screen.d/xdmcp-balance'), join(staging, 'screen.d/xdmcp-balance'));
  mkdirSync(join(dir, 'bundle'));
  // As the client package installs the hook: the sh wrapper as /usr/share/ltsp/get_hosts, the bundle
  // in /usr/share/ltsp-balance/.
  const bundle = await bundleGetHosts('cjs', join(dir, 'bundle'));
  copyFileSync(join(root, 'get-hosts/get_hosts.sh'), join(staging, 'get_hosts'));
  chmodSync(join(staging, 'get_hosts'), 0o755);
  bundleFile = join(bundle, 'get_hosts.cjs');
  mkdirSync(stubs);
  writeFileSync(join(stubs, 'X'), '#!/bin/sh\nprintf "%s\\n" "$@" > "$X_RECORD"\n', { mode: 0o755 });
  for (const host of [A, B]) daemons.set(host, await startDaemon({ host, port: 377, procfs: join(FIXTURES, 'idle'), args: ['--hostname', `app-${host.split('.')[3]}`] }));
});
test.after(async () => {
  await stopAll();
  await cleanup();
});

/** Runs SCREEN_07 through the screen_session stand-in; returns X's arguments. */
async function screen(env: Record<string, string>): Promise<{ args: string[]; stderr: string }> {
  const n = ++runs;
  const record = join(dir, `x-args-${n}`);
  const upper = join(dir, `upper-${n}`);
  const work = join(dir, `work-${n}`);
  mkdirSync(upper);
  mkdirSync(work);
  const script = [
    `mount -t overlay overlay -o lowerdir=/usr/share,upperdir=${upper},workdir=${work} /usr/share`,
    'mkdir /usr/share/ltsp',
    `cp -a ${staging}/. /usr/share/ltsp/`,
    `mkdir /usr/share/ltsp-balance && cp ${bundleFile} /usr/share/ltsp-balance/get_hosts.cjs`,
    'exec sh /usr/share/ltsp/screen_session 07',
  ].join(' && ');
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LDM_') && k !== 'SERVER' && k !== 'XDM_SERVER'));
  const p = start('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], {
    env: { ...clean, PATH: `${stubs}:${process.env.PATH}`, X_RECORD: record, SCREEN_07: 'xdmcp-balance', LDM_BALANCE_CACHE: join(dir, 'none.json'), LDM_BALANCE_DISCOVER: 'N', LDM_BALANCE_TIMEOUT_MS: '1500', LDM_BALANCE_MAX_RTT_MS: '0', ...env },
  });
  const code = await p.exited;
  assert.is(code, 0, p.stderr());
  return { args: readFileSync(record, 'utf8').trim().split('\n'), stderr: p.stderr() };
}

test('X queries the server the balancer chooses', async () => {
  const { args } = await screen({ LDM_BALANCE_SERVERS: `${A} ${B}`, LDM_BALANCE_ALGORITHM: 'best', LDM_BALANCE_WEIGHTS: `${A}=200` });
  assert.equal(args, ['-query', A, '-terminate', '-br', 'vt7', ':7']);
});

test('the chosen server is dead: X queries the other one', async () => {
  await daemons.get(A)!.stop('SIGKILL');
  const { args } = await screen({ LDM_BALANCE_SERVERS: `${A} ${B}`, LDM_BALANCE_ALGORITHM: 'best', LDM_BALANCE_WEIGHTS: `${A}=200` });
  assert.equal(args.slice(0, 2), ['-query', B]);
});

test('XDM_SERVER pinned by the site wins; arguments replace -query as in LTSP\'s xdmcp', async () => {
  assert.equal((await screen({ LDM_BALANCE_SERVERS: B, XDM_SERVER: '10.9.9.9' })).args.slice(0, 2), ['-query', '10.9.9.9']);
  assert.equal((await screen({ LDM_BALANCE_SERVERS: B, SCREEN_07: 'xdmcp-balance -indirect 10.1.1.1' })).args.slice(0, 2), ['-indirect', '10.1.1.1']);
});

test('no server list: the boot server (SERVER), as LTSP\'s xdmcp uses', async () => {
  const { args } = await screen({ SERVER: `${subnet}.99`, LDM_BALANCE_TIMEOUT_MS: '200' });
  assert.equal(args.slice(0, 2), ['-query', `${subnet}.99`]);
});

test.run();
