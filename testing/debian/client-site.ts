/**
 * What the thin-client package tests share: the built packages copied into a chroot, and a small
 * site of real advertise daemons on loopback addresses of this test's own, on the advertise port
 * (LDM gets host names without a port): one idle, one busy, one address where nothing answers.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildPackages } from '../../packaging/build.ts';
import { FIXTURES, startDaemon, stopAll } from '../advertise/helpers.ts';
import { Chroot } from './chroot.ts';

const net = `127.${50 + (process.pid % 150)}.${(process.pid >> 8) % 250}`;
export const SITE = { idle: `${net}.11`, busy: `${net}.12`, dead: `${net}.13` };
/** LDM_BALANCE_SERVERS: the idle server is not listed first. */
export const SERVERS = `${SITE.busy} ${SITE.idle} ${SITE.dead}`;
/**
 * The hook's environment in these tests: the servers, and (they test the package, not the deadline)
 * a deadline and no round-trip ceiling that a loaded machine keeps: with the defaults, 300 ms and
 * 100 ms, a late answer made the idle daemon Busy or Down and the busy one came first.
 */
export const SITE_ENV: Readonly<Record<string, string>> = { LDM_BALANCE_SERVERS: SERVERS, LDM_BALANCE_TIMEOUT_MS: '3000', LDM_BALANCE_MAX_RTT_MS: '0' };

export interface ClientFixture {
  /** A fresh chroot of the cached Debian system. */
  sys: Chroot;
  /** The packages just built from this tree. */
  debs: string[];
}

/**
 * Registers on `suite` the setup every client package test needs: build the packages, unpack a
 * chroot of `arch`, start the idle and the busy daemon; and the teardown. The fields are set once
 * `before` has run.
 */
export function clientFixture(suite: Test, arch?: string): ClientFixture {
  const fixture = { debs: [] } as unknown as ClientFixture;
  const work = mkdtempSync('/var/tmp/ltsp-balance-client-pkg-');
  suite.before(async () => {
    try {
      fixture.debs = await buildPackages({ out: join(work, 'deb') });
      fixture.sys = Chroot.create(work, arch);
      await startDaemon({ host: SITE.idle, port: 377, procfs: join(FIXTURES, 'idle') });
      await startDaemon({ host: SITE.busy, port: 377, procfs: join(FIXTURES, 'busy') });
    } catch (err) {
      console.error(err); // uvu does not print a failed hook's error
      throw err;
    }
  });
  suite.after(async () => {
    await stopAll();
    fixture.sys?.remove();
    rmSync(work, { recursive: true, force: true });
  });
  return fixture;
}

/** Copies the package named `name` (e.g. ltsp-balance-client) into the chroot's /tmp; its path there. */
export function copyDeb(chroot: Chroot, debs: readonly string[], name: string): string {
  const deb = debs.find((d) => basename(d).startsWith(`${name}_`));
  if (!deb) throw new Error(`no ${name} among ${debs.join(' ')}`);
  copyFileSync(deb, chroot.path(`tmp/${basename(deb)}`));
  return `/tmp/${basename(deb)}`;
}

/** screen.d/ldm's use of the hook: its output captured, split on whitespace; the idle server first. */
export function hostsAsLdmSees(chroot: Chroot): string[] {
  const ldm = 'LDM_SERVER=$(/usr/share/ltsp/get_hosts); set -- $LDM_SERVER; echo "$#"; for h in "$@"; do echo "$h"; done';
  const r = chroot.exec(['sh', '-c', ldm], { env: SITE_ENV });
  assert.is(r.status, 0, r.stderr);
  const [count, ...hosts] = r.stdout.trim().split('\n');
  assert.is(Number(count), hosts.length);
  assert.is(hosts[0], SITE.idle, `the idle server first: ${r.stdout} ${r.stderr}`);
  for (const h of hosts) assert.ok(Object.values(SITE).includes(h!), h);
  return hosts;
}
