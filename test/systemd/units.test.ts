/**
 * Every shipped service unit, rated by systemd's own `systemd-analyze security` (offline: no unit is
 * installed or started here): none may rate above 2.0. The daemons report readiness (Type=notify).
 */
import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { shippedUnits, unitSettings } from '../../testing/systemd/unit-file.ts';

const MAX_EXPOSURE = 2.0;
const units = shippedUnits('.service');

test('all three components ship a service unit', () => {
  assert.equal(units.map((u) => basename(u)), ['advertise.service', 'ltsp-greeter-bridge.service', 'ltsp-winbind-pool.service']);
});

for (const unit of units) {
  test(`${basename(unit)}: systemd-analyze security rates it ${MAX_EXPOSURE} or better`, () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', unit], { encoding: 'utf8' });
    const m = /Overall exposure level for \S+: (\d+\.\d)/.exec(r.stdout);
    assert.ok(m, `no rating in the output (exit ${r.status}):\n${r.stdout}${r.stderr}`);
    const flagged = r.stdout.split('\n').filter((l) => l.startsWith('✗')).map((l) => l.replace(/\s{2,}/g, '  ')).join('\n');
    assert.ok(Number(m![1]) <= MAX_EXPOSURE, `${basename(unit)} rates ${m![1]}:\n${flagged}`);
  });

  test(`${basename(unit)}: Type=notify`, () => {
    assert.equal(unitSettings(unit).get('Type'), ['notify']);
  });
}

test('the bridge unit has a watchdog and exactly CAP_CHOWN', () => {
  const s = unitSettings(units.find((u) => u.endsWith('ltsp-greeter-bridge.service'))!);
  assert.match(s.get('WatchdogSec')![0]!, /^\d+s$/);
  assert.equal(s.get('CapabilityBoundingSet'), ['CAP_CHOWN']);
  assert.equal(s.get('MemoryDenyWriteExecute'), ['yes']);
});

test.run();
