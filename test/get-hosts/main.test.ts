/** runGetHosts in-process: the safety net that still gives LDM a host when something breaks. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runGetHosts } from '../../get-hosts/main.ts';
import { setLogSink } from '../../shared/log.ts';
import { Fleet } from '../../testing/get-hosts/fake-fleet.ts';
import { sampleAdvertisement } from '../../testing/sample-advertisement.ts';

const fleet = new Fleet();
const logged: string[] = [];
setLogSink((line) => void logged.push(line));
test.after.each(() => fleet.close());
test.after(() => setLogSink(undefined));

// Not about timing: the fake servers answer from this very process, which a loaded machine can stall
// past the default 300 ms deadline before they have even read the query: 3 s, no RTT ceiling.
const env = (extra: Record<string, string>) => ({ LDM_BALANCE_CACHE: '/nonexistent/survey.json', LDM_BALANCE_DISCOVER: 'N', LDM_BALANCE_TIMEOUT_MS: '3000', LDM_BALANCE_MAX_RTT_MS: '0', ...extra });

test('an unexpected failure after the list is known: logged once, the configured list printed, exit 1', async () => {
  await fleet.start(2, { ad: sampleAdvertisement({ hostname: 'app2' }) });
  const written: string[] = [];
  let calls = 0;
  const write = (text: string): void => {
    if (calls++ === 0) throw new Error('stdout went away');
    written.push(text);
  };
  const code = await runGetHosts({ config: '/nonexistent/lts.conf' }, { env: env({ LDM_BALANCE_SERVERS: `${fleet.address(2)} ${fleet.address(3)}` }), write });
  assert.is(code, 4); // internal error (shared/exit-codes.ts), the configured list printed
  assert.equal(written, [`${fleet.address(2)} ${fleet.address(3)}\n`]);
  assert.ok(logged.some((l) => l.startsWith('<3>stdout went away: printing the configured list')), logged.join(''));
});

test('exit codes (shared/exit-codes.ts): 0 chosen, 9 none answered, 5 invalid setting', async () => {
  await fleet.start(2, { ad: sampleAdvertisement({ hostname: 'app2' }) });
  const out: string[] = [];
  const write = (t: string): void => void out.push(t);
  const servers = fleet.address(2);
  // --config names a file that is there and empty of our keys, so no warning about the file itself
  assert.is(await runGetHosts({ config: '/dev/null' }, { env: env({ LDM_BALANCE_SERVERS: servers }), write }), 0);
  assert.is(await runGetHosts({ config: '/dev/null' }, { env: env({ LDM_BALANCE_SERVERS: fleet.address(9) }), write }), 9);
  assert.is(await runGetHosts({ config: '/dev/null' }, { env: env({ LDM_BALANCE_SERVERS: servers, LDM_BALANCE_SLOW_START_S: 'soon' }), write }), 5);
  assert.equal(out, [`${servers}\n`, `${fleet.address(9)}\n`, `${servers}\n`]);
});

test.run();
