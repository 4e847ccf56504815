/**
 * `ltsp-balance install` and `uninstall`: finds the bundled commands (next to this file when it runs
 * as a bundle, `--from DIR`, or freshly built from the sources by scripts/bundle.mjs), plans the
 * layout, writes it under `--root`, and reports what it did.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { logInfo, logWarning } from '../../shared/log.ts';
import { applyInstall, applyUninstall, type UninstallReport } from './apply.ts';
import { InstallArgumentError, InstallBundleError } from './errors.ts';
import { checkAbsolute, planInstall, type PlannedFile } from './layout.ts';

export interface InstallOptions {
  root: string;
  prefix: string;
  /** Empty: every /opt/ltsp/<arch> chroot found under the root. */
  chroots: string[];
  /** A directory of bundled commands; default: see bundleSource(). */
  from?: string;
  force?: boolean;
  dryRun?: boolean;
}

export interface InstallResult {
  files: PlannedFile[];
  warnings: string[];
}

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The bundles, and the tree holding units, native addons and lts.conf.example. Run from a bundle,
 * this file's directory is <prefix>/lib/ltsp-balance or dist/bin; run from the sources, the
 * bundles are built into a temporary directory that `cleanup` removes.
 */
function bundleSource(from: string | undefined): { bundleDir: string; sourceRoot: string; cleanup: () => void } {
  // admin/install/ in the sources, dist/bin/ in a build: the project's tree is two levels up either way.
  const sourceRoot = resolve(here, '../..');
  if (from !== undefined) return { bundleDir: resolve(from), sourceRoot, cleanup: () => {} };
  if (existsSync(join(here, 'get_hosts.js'))) return { bundleDir: here, sourceRoot, cleanup: () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'ltsp-balance-bundle-'));
  const r = spawnSync(process.execPath, [join(sourceRoot, 'scripts', 'bundle.mjs'), dir], { encoding: 'utf8', timeout: 180_000 });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new InstallBundleError(`building the bundles failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' | ')}`);
  }
  return { bundleDir: dir, sourceRoot, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** LTSP 5 keeps one chroot per architecture in /opt/ltsp/<arch>. */
function findChroots(root: string): string[] {
  const base = join(root, 'opt/ltsp');
  try {
    return readdirSync(base).filter((n) => !n.startsWith('.') && statSync(join(base, n)).isDirectory() && existsSync(join(base, n, 'usr'))).sort().map((n) => `/opt/ltsp/${n}`);
  } catch {
    return [];
  }
}

export function install(options: InstallOptions): InstallResult {
  const root = resolve(options.root);
  if (!existsSync(root)) throw new InstallArgumentError(`--root ${root} does not exist`);
  const chroots = options.chroots.length > 0 ? options.chroots.map((c) => checkAbsolute('--chroot', c)) : findChroots(root);
  for (const c of chroots) {
    if (!existsSync(join(root, c))) throw new InstallArgumentError(`--chroot ${c}: ${join(root, c)} does not exist`);
  }
  const source = bundleSource(options.from);
  try {
    const { files, warnings } = planInstall({ bundleDir: source.bundleDir, sourceRoot: source.sourceRoot, prefix: options.prefix, chroots });
    for (const c of chroots) {
      if (!existsSync(join(root, c, 'usr/bin/node'))) warnings.push(`${c} has no /usr/bin/node: get_hosts needs Node.js >= 20 in the thin-client image`);
    }
    for (const w of warnings) logWarning(w);
    if (!options.dryRun) {
      applyInstall({ root, prefix: checkAbsolute('--prefix', options.prefix), chroots }, files, { force: options.force });
      logInfo(`installed ${files.length} file(s) under ${root}`);
    }
    return { files, warnings };
  } finally {
    source.cleanup();
  }
}

export function uninstall(root: string): UninstallReport {
  const report = applyUninstall(resolve(root));
  for (const p of report.kept) logWarning(`${p} changed since install: kept`);
  for (const p of report.missing) logWarning(`${p} was already gone`);
  logInfo(`removed ${report.removed.length} file(s), restored ${report.restored.length}, kept ${report.kept.length}`);
  return report;
}
