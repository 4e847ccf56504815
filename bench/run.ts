/**
 * Runs every benchmark under bench/<component>/ one after another (never in parallel: the figures are
 * ratios measured side by side, and two benchmarks at once would skew each other).
 * Usage: npm run bench [-- substring ...]
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const benchDir = join(root, 'bench');
const filters = process.argv.slice(2);

function collect(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return collect(path);
      return dir !== benchDir && name.endsWith('.ts') && !name.endsWith('.lib.ts') ? [path] : [];
    });
}

let failed = 0;
for (const file of collect(benchDir)) {
  const rel = relative(root, file);
  if (filters.length > 0 && !filters.some((f) => rel.includes(f))) continue;
  process.stdout.write(`\n== ${rel}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
