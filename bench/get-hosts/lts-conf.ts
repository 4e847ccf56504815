/**
 * What reading lts.conf the getltscfg way costs get_hosts on its start-up path, side by side in one
 * run, interleaved: the CommonJS bundle (as installed) with `--config /dev/null` (the floor: no
 * lts.conf), with a typical lts.conf (2 KiB: [Default], 40 MAC sections LIKE a lab section), and with
 * a hostile one at the 256 KiB cap (about 9,000 sections). Each prints the configured host after a
 * 10 ms deadline, so the difference to the floor is the lts.conf cost, cold (one process per run,
 * as LDM runs it). NODE_OPTIONS and NODE_EXTRA_CA_CERTS are removed from every run.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleGetHosts, measure, median, randomSubnet, table } from './measure.lib.ts';

const ROUNDS = 21;
const dir = await bundleGetHosts('cjs');
try {
  const cjs = join(dir, 'get_hosts.cjs');
  let typical = '[Default]\nLDM_BALANCE_ALGORITHM = two-choices\nSOUND = True\n[lab]\nLDM_BALANCE_WEIGHTS = "app1=200 app2=100"\n';
  for (let i = 0; i < 40; i++) typical += `[00:11:22:33:44:${i.toString(16).padStart(2, '0')}]\nLIKE = lab\nLDM_USERNAME = user${i}\n`;
  let hostile = '[Default]\nA = 1\n[lab]\nB = 2\n';
  for (let i = 0; hostile.length < 255 * 1024; i++) hostile += `[02:00:00:${((i >> 8) & 255).toString(16)}:${(i & 255).toString(16)}:*]\nLIKE = lab\nX${i} = user${i}\n`;
  writeFileSync(join(dir, 'typical.conf'), typical);
  writeFileSync(join(dir, 'hostile.conf'), hostile);
  const server = `${randomSubnet()}.1`;
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LDM_') && k !== 'NODE_OPTIONS' && k !== 'NODE_EXTRA_CA_CERTS'));
  const cases: Array<[string, string]> = [
    ['no lts.conf (/dev/null)', '/dev/null'],
    [`typical lts.conf (${typical.length} B)`, join(dir, 'typical.conf')],
    [`hostile lts.conf (${hostile.length} B)`, join(dir, 'hostile.conf')],
  ];
  const wall = new Map(cases.map(([name]) => [name, [] as number[]]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, conf] of cases) {
      const s = await measure(process.execPath, [cjs, '--servers', server, '--timeout', '10', '--config', conf], { ...env, LDM_BALANCE_CACHE: join(dir, 'none.json') });
      if (s.stdout !== `${server}\n`) throw new Error(`${name}: unexpected output ${JSON.stringify(s.stdout)}`);
      wall.get(name)!.push(s.wallMs);
    }
  }
  const floor = wall.get(cases[0]![0])!;
  const rows = cases.map(([name]) => {
    const w = wall.get(name)!;
    return {
      run: name,
      'wall ms median': median(w),
      'min': Math.min(...w),
      'max': Math.max(...w),
      'minus floor (median)': median(w) - median(floor),
      'minus floor (min)': Math.min(...w) - Math.min(...floor),
    };
  });
  process.stdout.write(`${table(rows)}\n\n${ROUNDS} rounds, interleaved; node ${process.version}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
