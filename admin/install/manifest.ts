/**
 * What install wrote, so that uninstall removes exactly that: every file with its hash (a file the
 * administrator changed since is kept, not deleted), every symlink with its target, every file
 * that was there before and was set aside, and the directories install had to create.
 * The manifest is checked as hostile input: a tampered one must not send uninstall elsewhere.
 */
import { createHash } from 'node:crypto';
import { readFileCapped } from '../../shared/fs/read-capped.ts';
import { InstallManifestError } from './errors.ts';

export const MANIFEST_PATH = '/var/lib/ltsp-balance/install-manifest.json';
export const MANIFEST_FORMAT = 'ltsp-balance-install/1';
const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;
const MAX_ENTRIES = 20_000;

export interface ManifestEntry {
  path: string;
  kind: 'file' | 'symlink';
  /** file: sha256 of what was written. */
  sha256?: string;
  /** symlink: its target. */
  target?: string;
  /** Where the file that was there before install now lies (restored by uninstall). */
  backup?: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  prefix: string;
  chroots: string[];
  entries: ManifestEntry[];
  /** Directories install created, so uninstall may remove them once empty. */
  createdDirs: string[];
}

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

function isSafePath(p: unknown): p is string {
  return typeof p === 'string' && p.length < 4096 && p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\0');
}

function bad(path: string, what: string): never {
  throw new InstallManifestError(`${path}: ${what}; remove the files by hand or reinstall over them`);
}

export function parseManifest(text: string, source: string): Manifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    bad(source, `not JSON (${(err as Error).message})`);
  }
  const m = data as Partial<Manifest>;
  if (typeof m !== 'object' || m === null || m.format !== MANIFEST_FORMAT) bad(source, `not a ${MANIFEST_FORMAT} manifest`);
  if (!isSafePath(m.prefix)) bad(source, 'prefix is not an absolute path');
  if (!Array.isArray(m.chroots) || !m.chroots.every(isSafePath)) bad(source, 'chroots must be absolute paths');
  if (!Array.isArray(m.createdDirs) || !m.createdDirs.every(isSafePath)) bad(source, 'createdDirs must be absolute paths');
  if (!Array.isArray(m.entries) || m.entries.length > MAX_ENTRIES) bad(source, `entries must be a list of at most ${MAX_ENTRIES}`);
  for (const [i, e] of m.entries.entries()) {
    const ok =
      typeof e === 'object' && e !== null && isSafePath(e.path) && e.path !== '/' &&
      ((e.kind === 'file' && typeof e.sha256 === 'string' && /^[0-9a-f]{64}$/.test(e.sha256)) ||
        (e.kind === 'symlink' && typeof e.target === 'string' && e.target.length > 0 && e.target.length < 4096)) &&
      (e.backup === undefined || isSafePath(e.backup));
    if (!ok) bad(source, `entry ${i} is malformed`);
  }
  return m as Manifest;
}

/** The manifest at `realPath`, or undefined when nothing is installed there. */
export function readManifest(realPath: string): Manifest | undefined {
  let buf: Buffer;
  try {
    buf = readFileCapped(realPath, MAX_MANIFEST_BYTES);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InstallManifestError(`cannot read ${realPath}: ${(err as Error).message}`, err);
  }
  return parseManifest(buf.toString('utf8'), realPath);
}
