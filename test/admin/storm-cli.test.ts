/**
 * `ltsp-balance storm` as an administrator runs it: the bundled command, fed a real `get_hosts
 * --json` survey of servers on loopback, names the algorithm that fits; a wrong file is one clear error.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleCommand } from '../../scripts/bundle.mjs';
import { bundleGetHosts } from '../../testing/get-hosts/bundle.ts';
import { Fleet } from '../../testing/get-hosts/fake-fleet.ts';
import { sampleAdvertisement } from '../../testing/sample-advertisement.ts';

const dir = mkdtempSync(join(tmpdir(), 'storm-cli-'));
const fleet = new Fleet();
let cli = '';
test.before(async () => {
  cli = await bundleCommand('ltsp-balance', join(dir, 'ltsp-balance.mjs'));
});
test.after(async () => {
  await fleet.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LDM_') && k !== 'SERVER'));
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { env: { ...env, LDM_BALANCE_CACHE: join(dir, 'none.json'), LDM_BALANCE_DISCOVER: 'N' }, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test("the site's survey in, a table per algorithm and the one that fits out", async () => {
  const cpus = [4, 8, 20];
  for (const [i, c] of cpus.entries()) await fleet.start(i + 2, { ad: sampleAdvertisement({ hostname: `app${i + 2}`, cpus: c, loadavg1: c * 0.1, loadavg5: c * 0.1, sessions: 0, users: 0 }) });
  const getHosts = join(await bundleGetHosts('cjs', dir), 'get_hosts.cjs');
  const servers = [2, 3, 4, 9].map((n) => fleet.address(n)).join(' '); // .9 never answers
  const survey = await run(getHosts, ['--json', '--servers', servers, '--timeout', '2000']);
  writeFileSync(join(dir, 'survey.json'), survey.stdout);
  const r = await run(cli, ['storm', '--survey', join(dir, 'survey.json'), '--clients', '300', '--minutes', '2', '--seeds', '2']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /onto 3 servers from .*survey\.json \(left out, no advertisement: 127\.\d+\.\d+\.9\)/);
  for (const a of ['two-choices', 'deficit', 'weighted', 'machash', 'random', 'best']) assert.match(r.stdout, new RegExp(`^${a} `, 'm'));
  assert.match(r.stdout, /^fits best: [a-z-]+ \(max\/mean sessions per capacity \d\.\d{3} on average/m);
});

test('a file that is not a survey: one error line, exit 2, nothing half printed', async () => {
  writeFileSync(join(dir, 'junk.json'), '{"servers": 3}');
  const r = await run(cli, ['storm', '--survey', join(dir, 'junk.json')]);
  assert.is(r.code, 2);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /^<3>not a get_hosts --json document: no "servers" array \(ERR_STORM_SURVEY\)\n$/);
});

test.run();
