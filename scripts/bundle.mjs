#!/usr/bin/env node
// Bundles each command in bin/ into one file under dist/bin/ (esbuild). One file loads in a single
// read and skips module resolution: get_hosts runs at every greeter start on weak thin clients, and
// fast-xml-parser's ESM build alone costs ~60 ms to import unbundled. Native addons stay external.
//
// get_hosts (and the greeter wrapper, also run by LDM in the chroot) is also bundled as CommonJS (dist/bin/get_hosts.cjs): that is the file installed as the
// extension-less /usr/share/ltsp/get_hosts in the chroot, which Node loads as CommonJS (no package.json
// there says otherwise), and Node 20's CommonJS loader starts ~4 ms faster than its ESM loader.
//
// Usage: node scripts/bundle.mjs [OUTDIR]      Import: bundleCommand(name, outfile, { format }).
import { build } from 'esbuild';
import { readdirSync, readFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

/** Native addons left out of the bundles: installed beside them in node_modules (packaging/native.ts). */
export const EXTERNAL_PACKAGES = ['posix-mq', 'koffi'];

/** Commands shipped as CommonJS too (see above). */
export const CJS_COMMANDS = ['get_hosts', 'ltsp-balance-greeter'];

const ESM_BANNER = "#!/usr/bin/env node\nimport{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);";

/** Bundles bin/NAME.ts into `outfile`, executable. */
export async function bundleCommand(name, outfile, { format = 'esm' } = {}) {
  await build({
    entryPoints: [join(root, 'bin', `${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format,
    target: 'node20',
    minify: true,
    legalComments: 'none',
    external: EXTERNAL_PACKAGES,
    // `--version` (shared/version.ts): the number is written in, so no package.json is needed at run time.
    define: { LTSP_BALANCE_VERSION: JSON.stringify(version) },
    // shared/version.ts reads package.json through import.meta only when the define above is absent
    // (run from the sources); that branch is dead in a bundle, CommonJS included.
    logOverride: format === 'cjs' ? { 'empty-import-meta': 'silent' } : {},
    // ESM output has no require(); bundled CommonJS dependencies (commander) need one.
    banner: { js: format === 'esm' ? ESM_BANNER : '#!/usr/bin/env node' },
    logLevel: 'warning',
  });
  chmodSync(outfile, 0o755);
  return outfile;
}

export function commandNames() {
  return readdirSync(join(root, 'bin'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const outdir = process.argv[2] ?? join(root, 'dist', 'bin');
  const names = commandNames();
  for (const name of names) {
    await bundleCommand(name, join(outdir, `${name}.js`));
    if (CJS_COMMANDS.includes(name)) await bundleCommand(name, join(outdir, `${name}.cjs`), { format: 'cjs' });
  }
  process.stdout.write(`bundled ${names.length} command(s) into ${outdir}\n`);
}
