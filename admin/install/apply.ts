/**
 * Carries out an install plan under a root directory, and undoes it from the manifest.
 *
 * Each file is written atomically. A file already there that an earlier install did not write is a
 * conflict: refused, or with `force` set aside as `<path>.ltsp-balance-orig` and put back by
 * uninstall. The manifest is written even when install fails half-way, so uninstall can always
 * clean up what was written.
 */
import { lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmdirSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { writeFileAtomic } from '../../shared/fs/atomic-write.ts';
import { InstallConflictError, InstallIoError, NotInstalledError } from './errors.ts';
import { MANIFEST_FORMAT, MANIFEST_PATH, readManifest, sha256, type Manifest, type ManifestEntry } from './manifest.ts';
import type { PlannedFile } from './layout.ts';

export const BACKUP_SUFFIX = '.ltsp-balance-orig';

export interface InstallTarget {
  /** The target system's root ("/" on a real server, a temporary directory in tests). */
  root: string;
  prefix: string;
  chroots: string[];
}

export interface UninstallReport {
  removed: string[];
  /** Changed since install (hash differs): left in place. */
  kept: string[];
  missing: string[];
  restored: string[];
}

const real = (root: string, path: string): string => join(root, path);

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Creates the missing parents of `path` (a target-system path), recording each one created. */
function makeParents(root: string, path: string, created: string[]): void {
  const missing: string[] = [];
  for (let dir = posix.dirname(path); dir !== '/' && !exists(real(root, dir)); dir = posix.dirname(dir)) missing.unshift(dir);
  for (const dir of missing) {
    mkdirSync(real(root, dir), { mode: 0o755 });
    created.push(dir);
  }
}

function writeEntry(root: string, f: PlannedFile): ManifestEntry {
  const dest = real(root, f.path);
  if (f.kind === 'symlink') {
    const tmp = join(dirname(dest), `.${posix.basename(f.path)}.${process.pid}.tmp`);
    rmSync(tmp, { force: true });
    symlinkSync(f.target!, tmp);
    renameSync(tmp, dest);
    return { path: f.path, kind: 'symlink', target: f.target! };
  }
  writeFileAtomic(dest, f.content!, f.mode);
  return { path: f.path, kind: 'file', sha256: sha256(f.content!) };
}

/** Whether the file at `dest` is still exactly what the entry says install wrote. */
function unchanged(dest: string, e: ManifestEntry): boolean {
  try {
    const st = lstatSync(dest);
    if (e.kind === 'symlink') return st.isSymbolicLink() && readlinkSync(dest) === e.target;
    return st.isFile() && sha256(readFileSync(dest)) === e.sha256;
  } catch {
    return false;
  }
}

function removeEntry(root: string, e: ManifestEntry, report: UninstallReport): void {
  const dest = real(root, e.path);
  if (!exists(dest)) report.missing.push(e.path);
  else if (unchanged(dest, e)) {
    unlinkSync(dest);
    report.removed.push(e.path);
  } else {
    report.kept.push(e.path);
    return; // the administrator's file now: the backup stays where it is too
  }
  if (e.backup && exists(real(root, e.backup))) {
    renameSync(real(root, e.backup), dest);
    report.restored.push(e.path);
  }
}

/** Removes those of `dirs` that are empty (deepest first); returns the ones still there. */
function removeEmptyDirs(root: string, dirs: readonly string[]): string[] {
  const left: string[] = [];
  for (const dir of [...new Set(dirs)].sort((a, b) => b.split('/').length - a.split('/').length)) {
    try {
      rmdirSync(real(root, dir));
    } catch (err) {
      // not empty (our files or someone else's): leave it
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') left.push(dir);
    }
  }
  return left.reverse();
}

function saveManifest(root: string, m: Manifest): void {
  writeFileAtomic(real(root, MANIFEST_PATH), `${JSON.stringify(m, null, 1)}\n`, 0o644);
}

function ioError(action: string, err: unknown): InstallIoError {
  return new InstallIoError(`${action}: ${(err as Error).message}`, err);
}

export function applyInstall(target: InstallTarget, files: readonly PlannedFile[], options: { force?: boolean } = {}): Manifest {
  const { root } = target;
  const previous = readManifest(real(root, MANIFEST_PATH));
  const ours = new Map((previous?.entries ?? []).map((e) => [e.path, e]));
  const conflicts = files.filter((f) => !ours.has(f.path) && exists(real(root, f.path)));
  if (conflicts.length > 0 && !options.force) {
    const list = conflicts.slice(0, 5).map((f) => f.path).join(', ');
    throw new InstallConflictError(`not written by ltsp-balance, refusing to overwrite: ${list}${conflicts.length > 5 ? ` and ${conflicts.length - 5} more` : ''} (--force sets them aside as *${BACKUP_SUFFIX})`);
  }
  const manifest: Manifest = { format: MANIFEST_FORMAT, prefix: target.prefix, chroots: target.chroots, entries: [], createdDirs: [...(previous?.createdDirs ?? [])] };
  const planned = new Set(files.map((f) => f.path));
  try {
    makeParents(root, MANIFEST_PATH, manifest.createdDirs);
    for (const f of files) {
      makeParents(root, f.path, manifest.createdDirs);
      let backup = ours.get(f.path)?.backup;
      if (!ours.has(f.path) && exists(real(root, f.path))) {
        backup = f.path + BACKUP_SUFFIX;
        renameSync(real(root, f.path), real(root, backup));
      }
      const entry = writeEntry(root, f);
      manifest.entries.push(backup ? { ...entry, backup } : entry);
    }
    // An upgrade that no longer ships a file removes the old copy.
    const dropped: UninstallReport = { removed: [], kept: [], missing: [], restored: [] };
    for (const e of previous?.entries ?? []) if (!planned.has(e.path)) removeEntry(root, e, dropped);
    for (const p of dropped.kept) manifest.entries.push(ours.get(p)!);
    if (dropped.removed.length > 0) manifest.createdDirs = removeEmptyDirs(root, manifest.createdDirs);
  } catch (err) {
    throw ioError(`install under ${root} stopped`, err);
  } finally {
    if (exists(real(root, posix.dirname(MANIFEST_PATH)))) saveManifest(root, manifest);
  }
  return manifest;
}

export function applyUninstall(root: string): UninstallReport {
  const manifestPath = real(root, MANIFEST_PATH);
  const manifest = readManifest(manifestPath);
  if (!manifest) throw new NotInstalledError(`nothing to uninstall: ${manifestPath} does not exist`);
  const report: UninstallReport = { removed: [], kept: [], missing: [], restored: [] };
  try {
    for (const e of [...manifest.entries].reverse()) removeEntry(root, e, report);
    if (report.kept.length > 0) {
      // Keep a manifest of what is left, so a later uninstall still knows about those files.
      saveManifest(root, { ...manifest, entries: manifest.entries.filter((e) => report.kept.includes(e.path)) });
    } else {
      unlinkSync(manifestPath);
    }
  } catch (err) {
    throw ioError(`uninstall under ${root} stopped`, err);
  }
  removeEmptyDirs(root, manifest.createdDirs);
  return report;
}
