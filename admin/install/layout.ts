/**
 * Where each piece goes, as LTSP expects it (admin/README.md, "Install layout"):
 *
 *   <prefix>/lib/ltsp-balance/<command>.js          every bundled command (one file each)
 *   <prefix>/lib/ltsp-balance/node_modules/<pkg>    the native addons the bundles load (posix-mq, koffi)
 *   <prefix>/bin/<command>                          symlinks for the server's commands (the units'
 *                                                   ExecStart=/usr/bin/<command>)
 *   <prefix>/lib/systemd/system/ltsp-<unit>         every unit under <component>/systemd/, named
 *                                                   ltsp-* so that "advertise.socket" cannot clash
 *   <prefix>/share/doc/ltsp-balance/lts.conf.example
 *   <chroot>/usr/share/ltsp/get_hosts               LDM's hook (and /usr/lib/ltsp/get_hosts, the 2007
 *                                                   path older clients run); fixed paths, whatever the prefix
 *   <chroot>/usr/share/ltsp/ltsp-balance-greeter    the greeter wrapper (LDM_GREETER = this path)
 *   <chroot>/usr/share/ltsp/screen.d/xdmcp-balance  the XDMCP screen script (SCREEN_07 = xdmcp-balance)
 *
 * Planning is pure: it reads the sources and returns the list of files to write, so a dry run,
 * the installer and the tests share one answer.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { InstallArgumentError, InstallBundleError } from './errors.ts';

export interface PlannedFile {
  /** Absolute path on the target system (not yet joined with --root). */
  path: string;
  kind: 'file' | 'symlink';
  mode: number;
  /** file: the bytes to write. */
  content?: Buffer;
  /** symlink: where it points (relative). */
  target?: string;
}

export interface LayoutInput {
  /** Directory with the bundled commands (<name>.js), e.g. dist/bin. */
  bundleDir: string;
  /** The project's source tree (for units, native addons and docs). */
  sourceRoot: string;
  prefix: string;
  /** Chroot paths on the target system, e.g. /opt/ltsp/amd64. */
  chroots: readonly string[];
}

/** Native addons scripts/bundle.mjs leaves out of the bundles; they are installed beside them. */
export const NATIVE_PACKAGES = ['posix-mq', 'koffi'] as const;
/** Parts of those packages that only building needs. */
const SKIP_IN_PACKAGES = new Set(['src', 'vendor', 'doc', 'obj.target', 'test.js', 'Vagrantfile', 'binding.gyp']);
/** Components whose systemd/ folder ships units. */
export const UNIT_COMPONENTS = ['advertise', 'winbind-pool', 'greeter-bridge'] as const;
export const GET_HOSTS_PATHS = ['/usr/share/ltsp/get_hosts', '/usr/lib/ltsp/get_hosts'] as const;
/** Where LDM finds the greeter wrapper: lts.conf says LDM_GREETER = this path, checks outside rely on it. */
export const GREETER_WRAPPER_PATH = '/usr/share/ltsp/ltsp-balance-greeter';
/** LTSP's screen_session looks in /etc/ltsp/screen.d (the site's) and then here (packages'). */
export const SCREEN_SCRIPTS_DIR = '/usr/share/ltsp/screen.d';
/** Screen scripts under ltsp/screen.d/ in the source tree. */
export const SCREEN_SCRIPTS = ['xdmcp-balance'] as const;
/** These run on the thin client only; every other command gets a symlink in <prefix>/bin. */
const CLIENT_ONLY = new Set(['get_hosts', 'ltsp-balance-greeter']);

export function checkAbsolute(name: string, path: string): string {
  if (!path.startsWith('/') || path.split('/').includes('..')) {
    throw new InstallArgumentError(`${name} must be an absolute path without "..", got ${JSON.stringify(path)}`);
  }
  return posix.normalize(path).replace(/(.)\/$/, '$1');
}

function bundles(bundleDir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let names: string[];
  try {
    names = readdirSync(bundleDir).filter((f) => f.endsWith('.js')).sort();
  } catch (err) {
    throw new InstallBundleError(`cannot read the bundles in ${bundleDir}: ${(err as Error).message}`);
  }
  for (const f of names) out.set(f.slice(0, -3), readFileSync(join(bundleDir, f)));
  if (!out.has('get_hosts')) throw new InstallBundleError(`${bundleDir} has no get_hosts.js: not a bundle directory (npm run build makes one)`);
  return out;
}

function packageFiles(dir: string, targetDir: string): PlannedFile[] {
  const out: PlannedFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (SKIP_IN_PACKAGES.has(name)) continue;
    const from = join(dir, name);
    const st = statSync(from);
    if (st.isDirectory()) out.push(...packageFiles(from, posix.join(targetDir, name)));
    else if (st.isFile()) out.push({ path: posix.join(targetDir, name), kind: 'file', mode: st.mode & 0o111 ? 0o755 : 0o644, content: readFileSync(from) });
  }
  return out;
}

/** Units are installed as ltsp-<name> unless already so named; a socket unit starts the service of its own name. */
export const unitName = (file: string): string => (file.startsWith('ltsp-') ? file : `ltsp-${file}`);

/**
 * A unit as installed: references to its sibling units follow their new names, and with another
 * prefix its ExecStart=/usr/bin/<command> follows the commands.
 */
export function relocateUnit(text: string, siblings: readonly string[], prefix: string, commands: readonly string[]): string {
  let out = text;
  for (const unit of siblings) {
    if (unitName(unit) === unit) continue;
    out = out.replace(new RegExp(`(^|[\\s=])${unit.replace(/[.]/g, '\\.')}(?=$|\\s)`, 'gm'), `$1${unitName(unit)}`);
  }
  if (prefix === '/usr') return out;
  return out.replace(/\/usr\/s?bin\/([A-Za-z0-9_.-]+)/g, (whole, cmd: string) => (commands.includes(cmd) ? `${prefix}/bin/${cmd}` : whole));
}

export function planInstall(input: LayoutInput): { files: PlannedFile[]; warnings: string[] } {
  const prefix = checkAbsolute('--prefix', input.prefix);
  const libDir = `${prefix}/lib/ltsp-balance`;
  const files: PlannedFile[] = [];
  const warnings: string[] = [];
  const commands = bundles(input.bundleDir);
  for (const [name, content] of commands) {
    files.push({ path: `${libDir}/${name}.js`, kind: 'file', mode: 0o755, content });
    if (!CLIENT_ONLY.has(name)) files.push({ path: `${prefix}/bin/${name}`, kind: 'symlink', mode: 0o777, target: `../lib/ltsp-balance/${name}.js` });
  }
  for (const pkg of NATIVE_PACKAGES) {
    const dir = join(input.sourceRoot, 'node_modules', pkg);
    if (existsSync(dir)) files.push(...packageFiles(dir, `${libDir}/node_modules/${pkg}`));
    else warnings.push(`native package ${pkg} not found in ${join(input.sourceRoot, 'node_modules')}: the commands that load it will fail`);
  }
  for (const component of UNIT_COMPONENTS) {
    const dir = join(input.sourceRoot, component, 'systemd');
    if (!existsSync(dir)) continue;
    const units = readdirSync(dir).filter((f) => /\.(service|socket|timer|path)$/.test(f)).sort();
    for (const unit of units) {
      const text = relocateUnit(readFileSync(join(dir, unit), 'utf8'), units, prefix, [...commands.keys()]);
      files.push({ path: `${prefix}/lib/systemd/system/${unitName(unit)}`, kind: 'file', mode: 0o644, content: Buffer.from(text) });
    }
  }
  const example = join(input.sourceRoot, 'lts.conf.example');
  if (existsSync(example)) {
    files.push({ path: `${prefix}/share/doc/ltsp-balance/lts.conf.example`, kind: 'file', mode: 0o644, content: readFileSync(example) });
  } else {
    warnings.push(`${example} is missing: no example lts.conf installed`);
  }
  if (input.chroots.length === 0) warnings.push('no chroot given or found under /opt/ltsp: get_hosts not installed for any thin client');
  for (const raw of input.chroots) {
    const chroot = checkAbsolute('--chroot', raw);
    for (const p of GET_HOSTS_PATHS) {
      files.push({ path: posix.join(chroot, p), kind: 'file', mode: 0o755, content: commands.get('get_hosts')! });
    }
    // The CommonJS bundle when built: an extension-less file with no package.json beside it is
    // loaded as CommonJS by the chroot's Node (scripts/bundle.mjs, CJS_COMMANDS).
    const wrapperCjs = join(input.bundleDir, 'ltsp-balance-greeter.cjs');
    const wrapper = existsSync(wrapperCjs) ? readFileSync(wrapperCjs) : commands.get('ltsp-balance-greeter');
    if (wrapper) files.push({ path: posix.join(chroot, GREETER_WRAPPER_PATH), kind: 'file', mode: 0o755, content: wrapper });
    else warnings.push(`${input.bundleDir} has no ltsp-balance-greeter.js: the greeter wrapper not installed in ${chroot}`);
    for (const script of SCREEN_SCRIPTS) {
      files.push({ path: posix.join(chroot, SCREEN_SCRIPTS_DIR, script), kind: 'file', mode: 0o755, content: readFileSync(join(input.sourceRoot, 'ltsp/screen.d', script)) });
    }
  }
  return { files, warnings };
}
