/**
 * get_hosts' exit under a hung DNS server (issue 17), the CommonJS bundle as installed, each run in a
 * private mount namespace whose resolv.conf points at a UDP socket that never answers
 * (`timeout:5 attempts:3`: before resolve.ts the process exited only after 15 s). Side by side, in
 * alternating rounds:
 * - floor: `--help` (start-up and exit, nothing else);
 * - black hole: one live server and one silent IP address, so the survey lasts its whole 300 ms
 *   deadline with no name to resolve;
 * - hung DNS (nsswitch dns first; files first with the name absent; no getent, so c-ares): the same
 *   list with the silent address replaced by a name only the hung DNS server could answer.
 * Target: every hung-DNS run ends within the black-hole run's time + 50 ms, i.e. deadline + 50 ms
 * after start-up. Root only (unshare -m).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleAdvertisement } from '../../testing/sample-advertisement.ts';
import { bundleGetHosts } from '../../testing/get-hosts/bundle.ts';
import { Fleet } from '../../testing/get-hosts/fake-fleet.ts';
import { inPrivateEtc, requireRoot, startHungDns, timeRun, type EtcFiles } from '../../testing/get-hosts/hung-dns.ts';
import { median, table } from './measure.lib.ts';

requireRoot();
const ROUNDS = 15;
const dir = mkdtempSync(join(tmpdir(), 'bench-hung-dns-'));
const fleet = new Fleet();
const dns = await startHungDns();
try {
  await fleet.start(2, { ad: sampleAdvertisement({ hostname: 'app2' }) });
  await fleet.start(3, { ad: sampleAdvertisement({ hostname: 'app3' }), udp: { kind: 'silent' }, tcp: { kind: 'drip', intervalMs: 5000 } });
  const bundle = join(await bundleGetHosts('cjs', dir), 'get_hosts.cjs');
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LDM_') && k !== 'NODE_OPTIONS' && k !== 'NODE_EXTRA_CA_CERTS')),
    LDM_BALANCE_CACHE: join(dir, 'none.json'),
    LDM_BALANCE_DISCOVER: 'N',
  };
  const etc = (hosts: string, hide: string[] = []): EtcFiles => ({
    resolvConf: `nameserver ${dns.address}\noptions timeout:5 attempts:3\n`,
    nsswitch: `hosts: ${hosts}\n`,
    hosts: '127.0.0.1 localhost\n',
    hide,
  });
  const args = (second: string) => [bundle, '--timeout', '300', '--servers', `${fleet.address(2)} ${second}`];
  const cases: Array<[string, EtcFiles, string[]]> = [
    ['floor: --help', etc('files dns'), [bundle, '--help']],
    ['black hole (IP, no name)', etc('files dns'), args(fleet.address(3))],
    ['hung DNS, hosts: dns files', etc('dns files'), args('hung.example')],
    ['hung DNS, hosts: files dns', etc('files dns'), args('hung.example')],
    ['hung DNS, no getent (c-ares)', etc('dns', ['/usr/bin/getent']), args('hung.example')],
  ];
  const exits = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  const gaps = new Map<string, number[]>(cases.map(([name]) => [name, []]));
  let n = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, files, argv] of cases) {
      const r = await timeRun(() => inPrivateEtc(dir, `b${++n}`, files, process.execPath, argv, env));
      if (!r.stdout) throw new Error(`${name}: nothing printed: ${r.stderr}`);
      exits.get(name)!.push(r.exitMs);
      gaps.get(name)!.push(r.exitMs - r.printedMs!);
    }
  }
  const hole = median(exits.get('black hole (IP, no name)')!);
  const f = (v: number) => v.toFixed(1);
  const stat = (s: number[]) => `${f(Math.min(...s))} / ${f(median(s))} / ${f(Math.max(...s))}`;
  process.stdout.write(table(cases.map(([name]) => ({
    run: name,
    'exit ms min / median / max': stat(exits.get(name)!),
    'median - black hole': f(median(exits.get(name)!) - hole),
    'print to exit ms min / median / max': stat(gaps.get(name)!),
  }))));
  process.stdout.write(`\n${ROUNDS} alternating rounds; hung DNS queries received: ${dns.queries}; deadline 300 ms; target: median - black hole <= 50 ms\n`);
} finally {
  await fleet.close();
  await dns.close();
  rmSync(dir, { recursive: true, force: true });
}
