/**
 * The client's identity as getltscfg finds it (getltscfg.c GetAddrs, 282-367): the first non-loopback
 * interface with an IPv4 address gives the IP and the MAC. Run in a private network and UTS namespace
 * (root, as CI runs the suite) with real veth interfaces, through the real lts.conf reader.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'identity-test-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `script` (shell) in fresh namespaces, then prints localIdentity() and lts.conf's values. */
function inNamespace(script: string, conf: string): { identity: Record<string, string>; values: Record<string, string> } {
  const path = join(dir, `lts-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(path, conf);
  const probe = `
    import { localIdentity } from '${root}ltsp/identity.ts';
    import { readLtsConf } from '${root}ltsp/ltsconf.ts';
    const identity = localIdentity();
    const conf = readLtsConf({ path: process.argv[1], client: identity });
    console.log(JSON.stringify({ identity, values: Object.fromEntries([...conf.values].map(([k, v]) => [k, v.value])) }));`;
  const r = spawnSync('unshare', ['-un', 'sh', '-ec', `${script}\nexec "${process.execPath}" --import tsx --input-type=module -e "$0" "$1"`, probe, path], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.is(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

const SECTIONS = '[Default]\nD = default\n[02:00:00:00:00:02]\nA = mac2\n[00:11:22:aa:bb:cc]\nA = mac\n[10.0.0.42]\nA = ip\n[tc42]\nA = host\n';

test('hostname first, then the IPv4 interface, skipping an interface without IPv4 (getltscfg.c:335-363)', () => {
  const setup = `hostname other
    ip link add first type veth peer name first-peer
    ip link set first address 02:00:00:00:00:02
    ip link set first-peer up; ip link set first up
    ip link add v0 type veth peer name v1
    ip link set v0 address 00:11:22:AA:BB:CC
    ip addr add 10.0.0.42/24 dev v0
    ip link set v1 up; ip link set v0 up`;
  const ip = inNamespace(setup, SECTIONS);
  assert.equal(ip.identity, { hostname: 'other', ip: '10.0.0.42', mac: '00:11:22:aa:bb:cc' });
  assert.equal(ip.values, { A: 'ip', D: 'default' });
  assert.equal(inNamespace(setup.replace('hostname other', 'hostname tc42'), SECTIONS).values, { A: 'host', D: 'default' });
  assert.equal(inNamespace(setup, SECTIONS.replace('[10.0.0.42]', '[10.0.0.99]')).values, { A: 'mac', D: 'default' });
});

test.run();
