/** Bundles bin/get_hosts.ts alone, with scripts/bundle.mjs's own options, into a fresh temp directory. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleCommand } from '../../scripts/bundle.mjs';

/**
 * Returns the directory; `get_hosts.js` (ESM, with a package.json saying so) or `get_hosts.cjs` (the
 * hook bundle as installed in the chroot: CommonJS for Node 8.10+, with the old-Node polyfill).
 */
export async function bundleGetHosts(format: 'esm' | 'cjs' = 'esm', dir = mkdtempSync(join(tmpdir(), 'get-hosts-bundle-'))): Promise<string> {
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  await bundleCommand('get_hosts', join(dir, format === 'cjs' ? 'get_hosts.cjs' : 'get_hosts.js'), format === 'cjs' ? { hook: true } : { format });
  return dir;
}
