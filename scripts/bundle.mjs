#!/usr/bin/env node
// Bundles each command in bin/ into one file under dist/bin/ (esbuild). One file loads in a single
// read and skips module resolution: get_hosts runs at every greeter start on weak thin clients, and
// fast-xml-parser's ESM build alone costs ~60 ms to import unbundled. Native addons stay external.
import { build } from 'esbuild';
import { readdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const outdir = process.argv[2] ?? join(root, 'dist', 'bin');
const entries = readdirSync(join(root, 'bin')).filter((f) => f.endsWith('.ts'));

for (const file of entries) {
  const outfile = join(outdir, file.replace(/\.ts$/, '.js'));
  await build({
    entryPoints: [join(root, 'bin', file)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    external: ['posix-mq', 'koffi'],
    // ESM output has no require(); bundled CJS dependencies (commander) need one.
    banner: { js: "#!/usr/bin/env node\nimport{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
    logLevel: 'warning',
  });
  chmodSync(outfile, 0o755);
}
process.stdout.write(`bundled ${entries.length} command(s) into ${outdir}\n`);
