#!/usr/bin/env node
// Bundles each command in bin/ into one file under dist/bin/ (esbuild). One file loads in a single
// read and skips module resolution: get_hosts runs at every greeter start on weak thin clients, and
// fast-xml-parser's ESM build alone costs ~60 ms to import unbundled. The native module (koffi) stays external.
//
// Hook commands (HOOK_COMMANDS: what LDM runs inside the thin client's chroot) are also bundled as
// CommonJS for the Node the chroot has, 8.10 (Ubuntu 18.04) to 24: syntax lowered to Node 8, the
// built-ins old Node lacks filled in by shared/old-node/polyfill.ts (injected first, into these
// bundles only), node:dns/promises pointed at a shim. CommonJS because the installed file is loaded
// by a wrapper through require() (get-hosts/get_hosts.sh), and Node 20's CommonJS loader starts
// ~4 ms faster than its ESM loader.
//
// Usage: node scripts/bundle.mjs [OUTDIR]
// Import: bundleAll(outdir), bundleCommand(name, outfile, { format, hook }), bundleFile(entry, ...),
// HOOK_COMMANDS, commandNames(), bundleIdLine(content) (a hook bundle's last line).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

/** Native addons left out of the bundles: installed beside them in node_modules (packaging/native.ts). */
export const EXTERNAL_PACKAGES = ['koffi'];

/**
 * Commands that run in the thin client's chroot on its own Node, each bundled as dist/bin/NAME.cjs
 * with `hook: true` (those that exist in bin/). The LDM greeter joins get_hosts here.
 */
export const HOOK_COMMANDS = ['get_hosts', 'ltsp-balance-greeter'];

const ESM_BANNER = "#!/usr/bin/env node\nimport{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);";

/** Modules that do not exist on old Node, replaced in hook bundles by a shim with the same exports. */
const HOOK_MODULE_SHIMS = { 'dns/promises': join(root, 'shared/old-node/dns-promises.ts') };
const shimPlugin = {
  name: 'old-node-shims',
  setup(b) {
    b.onResolve({ filter: /^(node:)?dns\/promises$/ }, (args) => ({ path: HOOK_MODULE_SHIMS[args.path.replace(/^node:/, '')] }));
  },
};

/**
 * Bundles bin/NAME.ts into `outfile`. `hook`: CommonJS for Node 8.10..24 with the old-Node
 * polyfill (implies format 'cjs'); otherwise Node 20+ in `format`.
 */
export function bundleCommand(name, outfile, options = {}) {
  return bundleFile(join(root, 'bin', `${name}.ts`), outfile, options);
}

/** The same for any entry file (tests bundle probes exactly as the hook bundles are built). */
export async function bundleFile(entry, outfile, { format = 'esm', hook = false } = {}) {
  const fmt = hook ? 'cjs' : format;
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: fmt,
    target: hook ? 'node8.10' : 'node20',
    minify: true,
    legalComments: 'none',
    external: EXTERNAL_PACKAGES,
    // `--version` (shared/version.ts): the number is written in, so no package.json is needed at run time.
    define: { LTSP_BALANCE_VERSION: JSON.stringify(version) },
    // shared/version.ts reads package.json through import.meta only when the define above is absent
    // (run from the sources); that branch is dead in a bundle, CommonJS included.
    logOverride: fmt === 'cjs' ? { 'empty-import-meta': 'silent' } : {},
    ...(hook ? { inject: [join(root, 'shared/old-node/polyfill.ts')], plugins: [shimPlugin] } : {}),
    // ESM output has no require(); bundled CommonJS dependencies (commander) need one.
    banner: { js: fmt === 'esm' ? ESM_BANNER : '#!/usr/bin/env node' },
    logLevel: 'warning',
  });
  if (hook) appendFileSync(outfile, bundleIdLine(readFileSync(outfile)));
  chmodSync(outfile, hook ? 0o644 : 0o755);
  return outfile;
}

/**
 * The last line of a hook bundle: the SHA-256 of everything before it. The V8 code cache written
 * for the bundle (get-hosts/code-cache.ts) records it, and the wrapper's loader compares the two
 * before handing V8 the cache; the line is read from the text the loader has in hand anyway, where
 * hashing the whole bundle at every start would cost milliseconds.
 */
export const BUNDLE_ID_PREFIX = '//# ltsp-balance-sha256=';
export function bundleIdLine(content) {
  return `${BUNDLE_ID_PREFIX}${createHash('sha256').update(content).digest('hex')}\n`;
}

export function commandNames() {
  return readdirSync(join(root, 'bin'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3));
}

/** Every command as NAME.js (Node 20+), and each hook command as NAME.cjs too, into `outdir`. */
export async function bundleAll(outdir) {
  const names = commandNames();
  for (const name of names) {
    await bundleCommand(name, join(outdir, `${name}.js`));
    if (HOOK_COMMANDS.includes(name)) await bundleCommand(name, join(outdir, `${name}.cjs`), { hook: true });
  }
  return names;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outdir = process.argv[2] ?? join(root, 'dist', 'bin');
  const names = await bundleAll(outdir);
  process.stdout.write(`bundled ${names.length} command(s) into ${outdir}\n`);
}
