import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleQueues } from '../../testing/fleet/cleanup.ts';

test('queues of runs whose owner is gone are removed; live owners and foreign queues are left', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ltsp-balance-mqueue-test-'));
  try {
    const dead = spawnSync('true').pid!; // exited: its pid names nobody now
    const names = [`ltspf${dead}-1-client-servers`, `ltsp-demo-${dead}-choice`, `ltspf${process.pid}-1-client-servers`,
      `ltsp-demo-${process.ppid}-servers`, 'ltsp-greeter-servers', `gb-bench-${dead}`];
    for (const n of names) writeFileSync(join(dir, n), '');
    const removed = removeStaleQueues(dir);
    assert.equal(removed.sort(), [`ltsp-demo-${dead}-choice`, `ltspf${dead}-1-client-servers`]);
    assert.equal(readdirSync(dir).sort(), [`gb-bench-${dead}`, `ltsp-demo-${process.ppid}-servers`, 'ltsp-greeter-servers', `ltspf${process.pid}-1-client-servers`]);
    assert.equal(removeStaleQueues(join(dir, 'missing')), [], 'no mqueue file system: nothing to do');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
