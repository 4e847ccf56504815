/**
 * What each Debian package installs, and where: the one table `npm run package` builds the packages
 * from (packaging/README.md). Add a row here and the file is in the package; nothing else lists files.
 *
 * Three packages, because of architectures (packaging/README.md, "Architectures"):
 *   server  ltsp-balance-server          each application server; Architecture: the build's (koffi's
 *                                        native binary for the winbind pool and sd_notify)
 *   client  ltsp-balance-client          each thin-client chroot; Architecture: all (JavaScript and sh
 *                                        only: the get_hosts hook, the greeter integration)
 *   bridge  ltsp-balance-greeter-bridge  each thin-client chroot; Architecture: the build's (the
 *                                        bridge's message queues go through a native addon)
 * Paths are absolute on the system the package is installed on (for client and bridge: inside the
 * chroot). Units go to /lib/systemd/system, where every LTSP 5 release (Debian 10, Ubuntu 18.04) and
 * Debian 12 look. Files under /etc are conffiles. A package's native addons are not rows: the builder
 * adds, under <dir>/node_modules, those its bundles in <dir> import (see packaging/native.ts).
 *
 * Planning is pure: it reads the sources and the bundles and returns the files.
 */
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { BalanceError } from '../../shared/errors.ts';

export type PackageId = 'server' | 'client' | 'bridge';

export const PACKAGE_NAMES: Readonly<Record<PackageId, string>> = {
  server: 'ltsp-balance-server',
  client: 'ltsp-balance-client',
  bridge: 'ltsp-balance-greeter-bridge',
};

/** Where a row's bytes come from. */
export type RowSource =
  /** dist/bin/<name>.js (ES module) or .cjs (CommonJS), built by scripts/bundle.mjs. */
  | { bundle: string; format: 'esm' | 'cjs' }
  /** A file of the source tree, as is. */
  | { file: string }
  /** A unit under <component>/systemd/: references to sibling units follow their installed names. */
  | { unit: string }
  /** A relative symbolic link. */
  | { symlink: string };

export interface LayoutRow {
  pkg: PackageId;
  path: string;
  from: RowSource;
  /** Default 0644; bundles that are run directly 0755. */
  mode?: number;
}

const SERVER_LIB = '/usr/lib/ltsp-balance-server';
const BRIDGE_LIB = '/usr/lib/ltsp-balance-greeter-bridge';
const UNITS = '/lib/systemd/system';
const MAN8 = '/usr/share/man/man8';

/** A command bundled as an ES module into `dir`, with its /usr/bin link and man page. */
function command(pkg: PackageId, dir: string, name: string, man: string): LayoutRow[] {
  // .mjs: Node before 20.19 (Debian 12 ships 18) loads an extension-less or .js file as CommonJS.
  return [
    { pkg, path: `${dir}/${name}.mjs`, from: { bundle: name, format: 'esm' }, mode: 0o755 },
    { pkg, path: `/usr/bin/${name}`, from: { symlink: posix.relative('/usr/bin', `${dir}/${name}.mjs`) } },
    { pkg, path: `${MAN8}/${name}.8`, from: { file: man } },
  ];
}

export const LAYOUT: readonly LayoutRow[] = [
  // ltsp-balance-server: each application server.
  ...command('server', SERVER_LIB, 'ltsp-server-advertise', 'advertise/ltsp-server-advertise.8'),
  { pkg: 'server', path: `${UNITS}/ltsp-advertise.socket`, from: { unit: 'advertise/systemd/advertise.socket' } },
  { pkg: 'server', path: `${UNITS}/ltsp-advertise.service`, from: { unit: 'advertise/systemd/advertise.service' } },
  { pkg: 'server', path: '/etc/ltsp/advertise.conf', from: { file: 'advertise/advertise.conf' } },
  ...command('server', SERVER_LIB, 'ltsp-winbind-pool', 'winbind-pool/ltsp-winbind-pool.8'),
  { pkg: 'server', path: `${UNITS}/ltsp-winbind-pool.socket`, from: { unit: 'winbind-pool/systemd/ltsp-winbind-pool.socket' } },
  { pkg: 'server', path: `${UNITS}/ltsp-winbind-pool.service`, from: { unit: 'winbind-pool/systemd/ltsp-winbind-pool.service' } },
  ...command('server', SERVER_LIB, 'ltsp-balance', 'admin/ltsp-balance.8'),
  { pkg: 'server', path: '/etc/ltsp/extraservers', from: { file: 'admin/host-keys/extraservers.default' } },
  { pkg: 'server', path: '/usr/share/doc/ltsp-balance-server/lts.conf.example', from: { file: 'lts.conf.example' } },

  // ltsp-balance-client: each thin-client chroot. LDM runs /usr/share/ltsp/get_hosts; clients that
  // follow the 2007 spec run /usr/lib/ltsp/get_hosts. The hook is a sh wrapper that runs the bundle
  // on the chroot's own Node (8.10 and newer) and prints the configured servers when Node cannot; it
  // finds the bundle two levels up from its own directory, so the 2007 path may be a link to it.
  { pkg: 'client', path: '/usr/share/ltsp/get_hosts', from: { file: 'get-hosts/get_hosts.sh' }, mode: 0o755 },
  { pkg: 'client', path: '/usr/lib/ltsp/get_hosts', from: { symlink: '../../share/ltsp/get_hosts' } },
  { pkg: 'client', path: '/usr/share/ltsp-balance/get_hosts.cjs', from: { bundle: 'get_hosts', format: 'cjs' } },
  { pkg: 'client', path: `${MAN8}/get_hosts.8`, from: { file: 'get-hosts/get_hosts.8' } },
  // The greeter wrapper (lts.conf: LDM_GREETER = this path) and the XDMCP screen script
  // (SCREEN_07 = xdmcp-balance; LTSP's screen_session looks in /etc/ltsp/screen.d, then here).
  { pkg: 'client', path: '/usr/share/ltsp/ltsp-balance-greeter', from: { bundle: 'ltsp-balance-greeter', format: 'cjs' }, mode: 0o755 },
  { pkg: 'client', path: '/usr/share/ltsp/screen.d/xdmcp-balance', from: { file: 'ltsp/screen.d/xdmcp-balance' }, mode: 0o755 },
  { pkg: 'client', path: '/usr/share/doc/ltsp-balance-client/lts.conf.example', from: { file: 'lts.conf.example' } },

  // ltsp-balance-greeter-bridge: each thin-client chroot, next to the client package.
  ...command('bridge', BRIDGE_LIB, 'ltsp-greeter-bridge', 'greeter-bridge/ltsp-greeter-bridge.8'),
  { pkg: 'bridge', path: `${UNITS}/ltsp-greeter-bridge.service`, from: { unit: 'greeter-bridge/systemd/ltsp-greeter-bridge.service' } },
];

export class LayoutError extends BalanceError {
  constructor(message: string) {
    super('ERR_PACKAGE_LAYOUT', message);
  }
}

export interface PlannedFile {
  pkg: PackageId;
  /** Absolute path on the installed system. */
  path: string;
  kind: 'file' | 'symlink';
  mode: number;
  /** file: the bytes. */
  content?: Buffer;
  /** symlink: where it points (relative). */
  target?: string;
  /** A bundled command: the native addons it imports go into <its directory>/node_modules. */
  bundle?: boolean;
}

export interface LayoutInput {
  /** scripts/bundle.mjs output: <name>.js and <name>.cjs. */
  bundleDir: string;
  /** The project's source tree. */
  sourceRoot: string;
}

/** The installed name of every unit the table ships, by source file name. */
function unitRenames(rows: readonly LayoutRow[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of rows) if ('unit' in r.from) out.set(posix.basename(r.from.unit), posix.basename(r.path));
  return out;
}

/** A unit as installed: `Requires=advertise.socket` becomes `Requires=ltsp-advertise.socket`. */
function renameUnitReferences(text: string, renames: ReadonlyMap<string, string>): string {
  let out = text;
  for (const [from, to] of renames) {
    if (from === to) continue;
    out = out.replace(new RegExp(`(^|[\\s=])${from.replace(/[.]/g, '\\.')}(?=$|\\s)`, 'gm'), `$1${to}`);
  }
  return out;
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new LayoutError(`${what} ${path}: ${(err as Error).message}`);
  }
}

function check(row: LayoutRow): void {
  if (!row.path.startsWith('/') || row.path.split('/').includes('..') || row.path.startsWith('/usr/local/')) {
    throw new LayoutError(`layout row ${row.path}: paths are absolute, without "..", never under /usr/local`);
  }
}

/** Every file of `pkg`, in table order (native addons excluded: packaging/native.ts). */
export function planPackage(pkg: PackageId, input: LayoutInput, rows: readonly LayoutRow[] = LAYOUT): PlannedFile[] {
  const renames = unitRenames(rows);
  const out: PlannedFile[] = [];
  for (const row of rows) {
    if (row.pkg !== pkg) continue;
    check(row);
    const f = row.from;
    if ('symlink' in f) {
      out.push({ pkg, path: row.path, kind: 'symlink', mode: 0o777, target: f.symlink });
    } else if ('bundle' in f) {
      const name = `${f.bundle}.${f.format === 'cjs' ? 'cjs' : 'js'}`;
      out.push({ pkg, path: row.path, kind: 'file', mode: row.mode ?? 0o644, content: read(join(input.bundleDir, name), 'bundle'), bundle: true });
    } else if ('unit' in f) {
      const text = renameUnitReferences(read(join(input.sourceRoot, f.unit), 'unit').toString('utf8'), renames);
      out.push({ pkg, path: row.path, kind: 'file', mode: row.mode ?? 0o644, content: Buffer.from(text) });
    } else {
      out.push({ pkg, path: row.path, kind: 'file', mode: row.mode ?? 0o644, content: read(join(input.sourceRoot, f.file), 'file') });
    }
  }
  return out;
}
