import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { initialSelection, moveSelection, renderChooser } from '../../greeter-bridge/chooser-view.ts';
import { largeSnapshot, sampleSnapshot } from '../../testing/greeter-bridge/sample.ts';

const plain = (screen: string): string[] => screen.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split('\r\n');

test('the recommended server is preselected; without one, the first that is not Down', () => {
  assert.is(initialSelection(sampleSnapshot()), 'app2.school.example');
  const none = sampleSnapshot();
  none.servers = none.servers.map((s) => ({ ...s, recommended: false }));
  none.servers.unshift({ ...none.servers[2]! }); // a Down server first
  assert.is(initialSelection(none), 'app1.school.example');
});

test('moving clamps at both ends', () => {
  const snap = sampleSnapshot();
  assert.is(moveSelection(snap, 'app2.school.example', -5), 'app1.school.example');
  assert.is(moveSelection(snap, 'app2.school.example', 1e6), '[fd00::5]:378');
});

test('every row fits the width; the cursor row stays visible in a long list', () => {
  const snap = largeSnapshot(100);
  const rows = plain(renderChooser({ snapshot: snap, selected: snap.servers[80]!.server, message: '', queue: '/q' }, 60, 20));
  assert.is(rows.length, 20);
  for (const r of rows) assert.ok(r.length <= 60, r);
  assert.ok(rows.some((r) => r.startsWith('> application-server-0080')), rows.join('\n'));
  assert.match(rows[0]!, /100 servers, updated/);
});

test('before the first snapshot the screen says what it waits for', () => {
  const rows = plain(renderChooser({ snapshot: undefined, selected: undefined, message: '', queue: '/ltsp-greeter-servers' }, 80, 10));
  assert.match(rows[0]!, /waiting for the server list on \/ltsp-greeter-servers/);
});

test.run();
