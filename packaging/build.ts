/**
 * `npm run package [-- --arch ARCH] [--out DIR]`: builds the Debian packages from the layout table
 * (admin/install/layout.ts) into dist/deb/: ltsp-balance-server and ltsp-balance-greeter-bridge for
 * ARCH (default: this machine's), ltsp-balance-client for all. packaging/README.md says why three.
 * Exit codes: 0 built, 1 a build step failed, 2 bad argument.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { bundleAll } from '../scripts/bundle.mjs';
import { runCli } from '../shared/cli.ts';
import { BalanceError, UsageError } from '../shared/errors.ts';
import { logInfo } from '../shared/log.ts';
import { PACKAGE_NAMES, planPackage, type PackageId, type PlannedFile } from '../admin/install/layout.ts';
import { ARCHITECTURES, archInfo, hostArch } from './arch.ts';
import { changelog, CLIENT_POSTINST, CLIENT_POSTRM, CLIENT_TRIGGERS, controlFile, COPYRIGHT, elfDepends, rulesFile, SERVER_PRERM } from './debian.ts';
import { addonFiles } from './native.ts';

export const SOURCE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_OUT = join(SOURCE_ROOT, 'dist/deb');
const PACKAGES: readonly PackageId[] = ['server', 'client', 'bridge'];

export class PackageBuildError extends BalanceError {
  constructor(message: string) {
    super('ERR_PACKAGE_BUILD', message);
  }
}

export interface BuildOptions {
  arch?: string;
  out?: string;
  cacheDir?: string;
}

/**
 * Every file of package `id` as it installs (the layout table's rows, then the native addons its
 * bundles import, for `arch`): what the .deb holds, and what a test may write into a tree itself.
 */
export function packageContents(id: PackageId, opts: { bundleDir: string; arch?: string; cacheDir?: string }): PlannedFile[] {
  const host = hostArch();
  const planned = planPackage(id, { bundleDir: opts.bundleDir, sourceRoot: SOURCE_ROOT });
  const addons = addonFiles(planned, { arch: archInfo(opts.arch ?? host), host, sourceRoot: SOURCE_ROOT, cacheDir: opts.cacheDir, archAll: id === 'client' });
  return [...planned, ...addons];
}

/** Writes planned files under `dir` (their absolute paths made relative to it). */
export function stage(dir: string, files: readonly PlannedFile[]): void {
  for (const f of files) {
    const dest = join(dir, f.path);
    mkdirSync(dirname(dest), { recursive: true });
    if (f.kind === 'symlink') symlinkSync(f.target!, dest);
    else {
      writeFileSync(dest, f.content!);
      chmodSync(dest, f.mode);
    }
  }
}

/** The date of the last commit (reproducible builds), else now. */
function buildDate(): Date {
  try {
    return new Date(Number(execFileSync('git', ['-C', SOURCE_ROOT, 'log', '-1', '--format=%ct'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()) * 1000);
  } catch {
    return new Date();
  }
}

/** Builds the three packages; returns the paths of the .deb files written. */
export async function buildPackages(options: BuildOptions = {}): Promise<string[]> {
  const arch = archInfo(options.arch ?? hostArch());
  const out = resolve(options.out ?? DEFAULT_OUT);
  const version = (JSON.parse(readFileSync(join(SOURCE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const work = mkdtempSync(join(tmpdir(), 'ltsp-balance-deb-'));
  try {
    const bundleDir = join(work, 'bundles');
    await bundleAll(bundleDir).catch((err: Error) => {
      throw new PackageBuildError(`bundling failed: ${err.message.split('\n').slice(0, 3).join(' | ')}`);
    });
    const src = join(work, `ltsp-balance-${version}`);
    const addonDepends: Partial<Record<PackageId, string[]>> = {};
    for (const id of PACKAGES) {
      const files = packageContents(id, { bundleDir, arch: arch.debian, cacheDir: options.cacheDir });
      const stageDir = join(src, 'stage', PACKAGE_NAMES[id]);
      stage(stageDir, files);
      addonDepends[id] = elfDepends(files, stageDir);
    }
    mkdirSync(join(src, 'debian/source'), { recursive: true });
    writeFileSync(join(src, 'debian/source/format'), '3.0 (native)\n');
    writeFileSync(join(src, 'debian/control'), controlFile({ version, archList: ARCHITECTURES.map((a) => a.debian), addonDepends }, PACKAGES));
    writeFileSync(join(src, 'debian/changelog'), changelog(version, buildDate()));
    writeFileSync(join(src, 'debian/copyright'), COPYRIGHT);
    writeFileSync(join(src, 'debian/rules'), rulesFile(PACKAGES), { mode: 0o755 });
    writeFileSync(join(src, `debian/${PACKAGE_NAMES.server}.prerm`), SERVER_PRERM, { mode: 0o755 });
    writeFileSync(join(src, `debian/${PACKAGE_NAMES.client}.postinst`), CLIENT_POSTINST, { mode: 0o755 });
    writeFileSync(join(src, `debian/${PACKAGE_NAMES.client}.postrm`), CLIENT_POSTRM, { mode: 0o755 });
    writeFileSync(join(src, `debian/${PACKAGE_NAMES.client}.triggers`), CLIENT_TRIGGERS);
    // -d: the build needs debhelper only, not build-essential; -a: the arch-specific packages' architecture.
    const r = spawnSync('dpkg-buildpackage', ['-b', '-us', '-uc', '-d', `--host-arch=${arch.debian}`], {
      cwd: src,
      encoding: 'utf8',
      env: { ...process.env, LC_ALL: 'C.UTF-8', DEB_BUILD_OPTIONS: 'noautodbgsym', SOURCE_DATE_EPOCH: String(Math.floor(buildDate().getTime() / 1000)) },
      timeout: 600_000,
    });
    if (r.status !== 0) {
      const said = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').filter((l) => l.trim()).slice(-4).join(' | ');
      throw new PackageBuildError(`dpkg-buildpackage failed (${r.error?.message ?? `exit ${r.status}`}): ${said}`);
    }
    mkdirSync(out, { recursive: true });
    const debs = readdirSync(work).filter((f) => f.endsWith('.deb')).sort();
    // Copied, not renamed: /tmp may be another file system than the output folder.
    for (const f of debs) copyFileSync(join(work, f), join(out, f));
    return debs.map((f) => join(out, f));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runCli(async () => {
    let values;
    try {
      ({ values } = parseArgs({ options: { arch: { type: 'string' }, out: { type: 'string' } }, strict: true }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    for (const deb of await buildPackages({ arch: values.arch, out: values.out })) logInfo(`built ${deb}`);
    return 0;
  });
}
