/**
 * The get_hosts hook as installed: scripts/bundle.mjs builds the bundles, and the client package's
 * files (the layout table, admin/install/layout.ts, as `npm run package` puts them in the .deb) are
 * written into a fresh temporary directory standing for the chroot. Tests and benchmarks run that
 * installed file, never the sources.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageContents, stage } from '../../packaging/build.ts';
import { bundleAll } from '../../scripts/bundle.mjs';

export interface InstalledHook {
  /** The temporary directory; `remove()` deletes it. */
  dir: string;
  /** The chroot inside it, holding what ltsp-balance-client installs. */
  chroot: string;
  /** <chroot>/usr/share/ltsp/get_hosts, the wrapper LDM runs. */
  hook: string;
  /** <chroot>/usr/lib/ltsp/get_hosts, the 2007 path. */
  legacyHook: string;
  /** <chroot>/usr/share/ltsp-balance/get_hosts.cjs, the bundle the wrapper runs. */
  bundle: string;
  remove(): void;
}

export async function installHook(parent = tmpdir()): Promise<InstalledHook> {
  const dir = mkdtempSync(join(parent, 'installed-hook-'));
  const bundles = join(dir, 'bundles');
  await bundleAll(bundles);
  const chroot = join(dir, 'chroot');
  stage(chroot, packageContents('client', { bundleDir: bundles }));
  return {
    dir,
    chroot,
    hook: join(chroot, 'usr/share/ltsp/get_hosts'),
    legacyHook: join(chroot, 'usr/lib/ltsp/get_hosts'),
    bundle: join(chroot, 'usr/share/ltsp-balance/get_hosts.cjs'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
