/**
 * The native addons a package's bundles import (scripts/bundle.mjs leaves them out of the bundles),
 * as files under <bundle's directory>/node_modules, for the package's architecture.
 *
 * koffi 3 is two npm packages: `koffi` (JavaScript that picks the binary: src/koffi/index.js, then
 * src/koffi/src/static.js requires `@koromix/koffi-<platform>-<arch>`) and that binary package
 * (linux_<abi>/koffi.node for glibc, musl_<abi>/ for musl). Both are needed; the sources, headers
 * and documentation are not. The binary package for another architecture comes from the npm
 * registry (`npm pack`), cached outside the repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, posix } from 'node:path';
import { EXTERNAL_PACKAGES } from '../scripts/bundle.mjs';
import { LayoutError, type PlannedFile } from '../admin/install/layout.ts';
import type { ArchInfo } from './arch.ts';

export const DEFAULT_CACHE = process.env.LTSP_BALANCE_CACHE ?? join(homedir(), '.cache/ltsp-balance');

/**
 * Which of the external packages this bundle imports. Minified, an import reads `from"koffi"`,
 * `import("koffi")`, `require("koffi")` or `createRequire(...)("koffi")`.
 */
export function importedExternals(bundle: Buffer | string): string[] {
  const text = bundle.toString();
  return EXTERNAL_PACKAGES.filter((name) => new RegExp(`(?:from\\s*|\\(\\s*)["']${name.replace(/[.]/g, '\\.')}["']`).test(text));
}

/** Every file under `dir` that `keep` accepts (relative paths), sorted. */
function walk(dir: string, keep: (rel: string) => boolean, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const st = statSync(join(dir, r));
    if (st.isDirectory()) out.push(...walk(dir, keep, r));
    else if (st.isFile() && keep(r)) out.push(r);
  }
  return out;
}

const RUNTIME_JS = /\.(js|cjs|mjs|json)$/;
const LICENSE = /^LICEN[CS]E(\.\w+)?$/;

interface AddonSource {
  /** Its name under node_modules. */
  name: string;
  dir: string;
  keep: (rel: string) => boolean;
}

/** koffi's JavaScript and licence, without sources, headers, docs and its build tool. */
function koffiSources(sourceRoot: string, arch: ArchInfo, cacheDir: string, host: string): AddonSource[] {
  const js: AddonSource = {
    name: 'koffi',
    dir: join(sourceRoot, 'node_modules/koffi'),
    keep: (r) => LICENSE.test(r) || (RUNTIME_JS.test(r) && !r.startsWith('vendor/') && !r.startsWith('doc/') && r !== 'cnoke.cjs'),
  };
  const binName = `@koromix/koffi-linux-${arch.node}`;
  const version = (JSON.parse(readFileSync(join(js.dir, 'package.json'), 'utf8')) as { version: string }).version;
  const local = join(sourceRoot, 'node_modules', binName);
  const dir = arch.debian === host && existsSync(local) ? local : fetchPackage(binName, version, cacheDir);
  if (!existsSync(join(dir, arch.koffiDir, 'koffi.node'))) throw new LayoutError(`${binName}@${version} has no ${arch.koffiDir}/koffi.node`);
  const bin: AddonSource = {
    name: binName,
    dir,
    // The glibc binary only: Debian and Ubuntu are glibc systems.
    keep: (r) => LICENSE.test(r) || r === 'package.json' || r === 'index.js' || r === `${arch.koffiDir}/koffi.node`,
  };
  return [js, bin];
}

/**
 * `npm pack NAME@VERSION` into the cache, unpacked: <cache>/npm/NAME@VERSION/. Written under a
 * temporary name and renamed, so an interrupted download is never taken for a complete one.
 */
export function fetchPackage(name: string, version: string, cacheDir: string): string {
  const dest = join(cacheDir, 'npm', `${name.replace('/', '+')}@${version}`);
  if (existsSync(join(dest, 'package.json'))) return dest;
  const tmp = `${dest}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const file = execFileSync('npm', ['pack', '--silent', '--pack-destination', tmp, `${name}@${version}`], { encoding: 'utf8', timeout: 300_000 }).trim().split('\n').at(-1)!;
    execFileSync('tar', ['-xzf', join(tmp, file), '-C', tmp, '--strip-components=1', '--no-same-owner']);
    rmSync(join(tmp, file));
    rmSync(dest, { recursive: true, force: true });
    renameSync(tmp, dest);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw new LayoutError(`cannot fetch ${name}@${version} from the npm registry: ${(err as Error).message.split('\n')[0]}`);
  }
  return dest;
}

/**
 * The node_modules files for the bundles among `files`: every addon a bundle imports, beside it.
 * `archAll` packages must import none (they would need a binary per architecture).
 */
export function addonFiles(files: readonly PlannedFile[], opts: { arch: ArchInfo; host: string; sourceRoot: string; cacheDir?: string; archAll: boolean }): PlannedFile[] {
  const out: PlannedFile[] = [];
  const done = new Set<string>();
  for (const f of files) {
    if (!f.bundle) continue;
    const names = importedExternals(f.content!);
    if (names.length > 0 && opts.archAll) throw new LayoutError(`${f.path} imports ${names.join(', ')}: a native addon cannot go into an Architecture: all package`);
    for (const name of names) {
      const base = posix.join(posix.dirname(f.path), 'node_modules');
      if (done.has(`${base}|${name}`)) continue;
      done.add(`${base}|${name}`);
      const sources = name === 'koffi' ? koffiSources(opts.sourceRoot, opts.arch, opts.cacheDir ?? DEFAULT_CACHE, opts.host)
        : (() => { throw new LayoutError(`no packaging rule for the native addon ${name}`); })();
      for (const s of sources) {
        for (const rel of walk(s.dir, s.keep)) {
          const content = readFileSync(join(s.dir, rel));
          // A script with a #! line keeps it executable (koffi's trampolines.cjs).
          out.push({ pkg: f.pkg, path: posix.join(base, s.name, rel), kind: 'file', mode: content.subarray(0, 2).toString() === '#!' ? 0o755 : 0o644, content });
        }
      }
    }
  }
  return out;
}
