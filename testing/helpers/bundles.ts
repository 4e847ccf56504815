/**
 * The commands bundled as they ship (scripts/bundle.mjs: one file per command, get_hosts also as
 * CommonJS), into a fresh directory under node_modules/.cache so that the bundles' external native
 * module (koffi) resolves from the project's node_modules, as they do when installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Bundles {
  dir: string;
  /** The bundle of a command: `get_hosts.cjs` for get_hosts (as installed), `NAME.js` for the others. */
  file(name: string): string;
  remove(): void;
}

/** Bundles every bin/*.ts; throws with esbuild's output on failure. */
export function bundleCommands(): Bundles {
  const cache = join(ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'ltsp-balance-bundles-'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), dir], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`scripts/bundle.mjs failed:\n${r.stdout}${r.stderr}`);
  }
  return {
    dir,
    file: (name) => join(dir, name === 'get_hosts' ? 'get_hosts.cjs' : `${name}.js`),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
