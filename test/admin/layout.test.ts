/**
 * The install layout table (admin/install/layout.ts) against the tree: every command and every unit
 * the project has is in some package, every source a row names exists, and the checks that keep a
 * package clean (no /usr/local, sibling unit names) hold. The packages themselves: test/packaging/.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LAYOUT, planPackage, type LayoutRow } from '../../admin/install/layout.ts';
import { commandNames } from '../../scripts/bundle.mjs';

const root = new URL('../..', import.meta.url).pathname;

test('every source a row names exists in the tree', () => {
  for (const row of LAYOUT) {
    const f = row.from;
    if ('file' in f) assert.ok(existsSync(join(root, f.file)), `${row.path}: ${f.file}`);
    if ('unit' in f) assert.ok(existsSync(join(root, f.unit)), `${row.path}: ${f.unit}`);
    if ('bundle' in f) assert.ok(commandNames().includes(f.bundle), `${row.path}: bin/${f.bundle}.ts`);
  }
});

test('every command in bin/ and every unit under */systemd/ ships in a package', () => {
  const bundled = new Set(LAYOUT.flatMap((r) => ('bundle' in r.from ? [r.from.bundle] : [])));
  for (const name of commandNames()) assert.ok(bundled.has(name), `bin/${name}.ts is in no package`);
  const units = new Set(LAYOUT.flatMap((r) => ('unit' in r.from ? [r.from.unit] : [])));
  for (const component of readdirSync(root)) {
    const dir = join(root, component, 'systemd');
    if (!existsSync(dir) || component === 'node_modules') continue;
    for (const f of readdirSync(dir).filter((n) => /\.(service|socket|timer)$/.test(n))) assert.ok(units.has(`${component}/systemd/${f}`), `${component}/systemd/${f} is in no package`);
  }
});

test('units are installed under their ltsp- names, and references between them follow', () => {
  const rows: LayoutRow[] = LAYOUT.filter((r) => 'unit' in r.from);
  const files = planPackage('server', { bundleDir: '/nonexistent', sourceRoot: root }, rows); // units need no bundle
  const service = files.find((f) => f.path === '/lib/systemd/system/ltsp-advertise.service')!;
  assert.match(service.content!.toString(), /^Requires=ltsp-advertise\.socket$/m);
  const settings = service.content!.toString().split('\n').filter((l) => !l.startsWith('#')).join('\n');
  assert.not.match(settings, /[\s=]advertise\.socket/);
});

test('a row under /usr/local or with ".." is refused', () => {
  for (const path of ['/usr/local/bin/x', '/usr/lib/../local/x']) {
    assert.throws(() => planPackage('server', { bundleDir: root, sourceRoot: root }, [{ pkg: 'server', path, from: { symlink: 'y' } }]), /never under \/usr\/local|without "\.\."/);
  }
});

test.run();
