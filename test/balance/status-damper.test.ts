/** The display status shown between polls: flapping damped, Down and Draining shown at once, each change reported with its reason. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StatusDamper, type StatusChange } from '../../balance/decide/status-damper.ts';
import type { DisplayStatus } from '../../balance/decide/status.ts';

function run(seen: DisplayStatus[]): { shown: DisplayStatus[]; changes: StatusChange[] } {
  const d = new StatusDamper();
  const changes: StatusChange[] = [];
  const shown = seen.map((s, i) => d.update('app1', s, `poll ${i}`, (c) => changes.push(c)));
  return { shown, changes };
}

test('a status flapping between two polls is never shown', () => {
  const r = run(['Idle', 'Loaded', 'Idle', 'Loaded', 'Idle', 'Busy', 'Idle']);
  assert.equal(r.shown, ['Idle', 'Idle', 'Idle', 'Idle', 'Idle', 'Idle', 'Idle']);
  assert.equal(r.changes, []);
});

test('a change seen on two polls in a row is shown on the second, once, with its reason', () => {
  const r = run(['Idle', 'Loaded', 'Loaded', 'Loaded', 'Busy', 'Busy']);
  assert.equal(r.shown, ['Idle', 'Idle', 'Loaded', 'Loaded', 'Loaded', 'Busy']);
  assert.equal(r.changes, [
    { server: 'app1', from: 'Idle', to: 'Loaded', reason: 'poll 2' },
    { server: 'app1', from: 'Loaded', to: 'Busy', reason: 'poll 5' },
  ]);
});

test('Down and Draining are facts: shown at once, both ways', () => {
  const r = run(['Idle', 'Down', 'Loaded', 'Draining', 'Idle']);
  assert.equal(r.shown, ['Idle', 'Down', 'Loaded', 'Draining', 'Idle']);
  assert.is(r.changes.length, 4);
});

test('servers no longer listed are forgotten (bounded memory with discovery)', () => {
  const d = new StatusDamper();
  const noop = (): void => undefined;
  d.update('a', 'Idle', '', noop);
  d.update('b', 'Idle', '', noop);
  d.retain(new Set(['b']));
  // 'a' comes back: first sight again, shown as seen, no change reported.
  const changes: StatusChange[] = [];
  assert.is(d.update('a', 'Busy', '', (c) => changes.push(c)), 'Busy');
  assert.equal(changes, []);
});

test.run();
