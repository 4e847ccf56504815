/**
 * What the bridge benchmarks share: the commands bundled as they ship (scripts/bundle.mjs into a
 * temp dir, one file per command), and percentiles.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
export { percentile } from '../lib/stats.ts';

export const ROOT = new URL('../../', import.meta.url).pathname;

/** Bundles every bin/*.ts into a temp dir; `remove()` deletes it. Throws with esbuild's output on failure. */
export function bundleCommands(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'gb-bench-bundle-'));
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), dir], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`scripts/bundle.mjs failed:\n${r.stdout}${r.stderr}`);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Bounds a benchmark: past `seconds` it prints what it was doing and exits 1 (a bench must never
 * hang the runner). Call `stage(text)` as the steps go.
 */
export function watchdog(seconds: number): (text: string) => void {
  let current = 'starting';
  setTimeout(() => {
    process.stderr.write(`benchmark exceeded ${seconds} s while ${current}\n`);
    process.exit(1);
  }, seconds * 1000).unref();
  return (text) => {
    current = text;
  };
}
