/**
 * Cold start of the installed single-file get_hosts against bare Node, side by side in one run:
 * `node -e 0`; the bundled get_hosts (ESM, as scripts/bundle.mjs builds it) with no server reachable (the
 * configured list is printed) and a 10 ms deadline so the figure is start-up cost, not waiting; the
 * same source bundled as CommonJS (Node 20's ESM loader costs ~4 ms that CJS does not); and a
 * bundled stub that only loads commander and parses the same flags (why bin/get_hosts.ts uses
 * node:util parseArgs).
 * Target: get_hosts at most 1.3 × bare Node in wall time and peak RSS.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bundleGetHosts, measure, median, randomSubnet, table } from './measure.lib.ts';

const ROUNDS = 25;
const dir = await bundleGetHosts('esm');
try {
  const stub = join(dir, 'commander-stub.js');
  const stubSource = join(dir, 'commander-stub.ts');
  writeFileSync(stubSource, `import { Command } from 'commander';\nnew Command().option('--servers <list>').option('--timeout <ms>').option('--explain').parse();\n`);
  await build({ entryPoints: [stubSource], outfile: stub, bundle: true, platform: 'node', format: 'esm', target: 'node20', minify: true, logLevel: 'warning', nodePaths: [new URL('../../node_modules', import.meta.url).pathname], banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" } });

  const cjs = join(await bundleGetHosts('cjs', dir), 'get_hosts.cjs');

  const unreachable = `${randomSubnet()}.1`;
  // Without NODE_EXTRA_CA_CERTS (parsed at every start: ~80 ms here) and NODE_OPTIONS: thin clients have neither.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LDM_') && k !== 'NODE_EXTRA_CA_CERTS' && k !== 'NODE_OPTIONS'));
  const cases: Array<[string, string[]]> = [
    ['node -e 0', ['-e', '0']],
    ['get_hosts (10 ms deadline)', [join(dir, 'get_hosts.js'), '--servers', unreachable, '--timeout', '10']],
    ['get_hosts as CommonJS bundle', [cjs, '--servers', unreachable, '--timeout', '10']],
    ['commander stub (parse only)', [stub, '--servers', unreachable, '--timeout', '10']],
  ];
  const samples = new Map(cases.map(([name]) => [name, { wall: [] as number[], rss: [] as number[] }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, args] of cases) {
      const s = await measure(process.execPath, args, { ...env, LDM_BALANCE_CACHE: join(dir, 'none.json') });
      if (name.startsWith('get_hosts') && s.stdout !== `${unreachable}\n`) throw new Error(`unexpected output ${JSON.stringify(s.stdout)}`);
      samples.get(name)!.wall.push(s.wallMs);
      samples.get(name)!.rss.push(s.rssKb);
    }
  }
  const base = samples.get('node -e 0')!;
  const baseWall = median(base.wall);
  const baseRss = median(base.rss);
  const rows = cases.map(([name]) => {
    const s = samples.get(name)!;
    return {
      command: name,
      'wall ms (median)': median(s.wall),
      'wall ms (min)': Math.min(...s.wall),
      'x node': median(s.wall) / baseWall,
      'x node (min)': Math.min(...s.wall) / Math.min(...base.wall),
      'peak RSS MiB': median(s.rss) / 1024,
      'RSS x node': median(s.rss) / baseRss,
    };
  });
  process.stdout.write(`${table(rows)}\n\n${ROUNDS} rounds, interleaved (the minimum is the least disturbed by other load on the machine); node ${process.version}\n`);
  for (const gh of rows.slice(1, 3)) {
    const startup = (gh['wall ms (median)'] - 10) / baseWall;
    const startupMin = (gh['wall ms (min)'] - 10) / Math.min(...base.wall);
    process.stdout.write(
      `${gh.command}: ${gh['x node'].toFixed(2)}x wall including its 10 ms deadline, ` +
        `${startup.toFixed(2)}x without it (min: ${startupMin.toFixed(2)}x), ${gh['RSS x node'].toFixed(2)}x peak RSS (target <= 1.3x)\n`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
