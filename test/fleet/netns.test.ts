import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { Fleet } from '../../testing/fleet/netns.ts';
import { listFleetNamespaces, cleanupLeftovers } from '../../testing/fleet/cleanup.ts';
import { runCommand } from '../../admin/run-command.ts';

const root = new URL('../..', import.meta.url).pathname;
let fleet: Fleet | undefined;

test.after(async () => {
  await fleet?.teardown();
});

// Counts 'x' datagrams received on ADDR:PORT until the sender's 'end' marker (or MS milliseconds), prints
// the count. Ending on the marker, not on a fixed window, keeps a slow start of the sender on a busy
// machine from being counted as loss; the marker is sent 20 times so that 30% loss cannot eat it.
const COUNT_UDP = `const d=require('dgram').createSocket('udp4');let n=0,done=false;
const fin=()=>{if(done)return;done=true;console.log('count='+n);d.close()};
d.on('message',(m)=>{if(m.toString()==='end')setTimeout(fin,50);else n++});
d.bind(+process.argv[2],process.argv[1],()=>console.log('ready'));setTimeout(fin,+process.argv[3]);`;
const SEND_UDP = `const d=require('dgram').createSocket('udp4');let i=0;const N=+process.argv[3];
const end=(k)=>{d.send('end',+process.argv[2],process.argv[1]);if(k>1)setTimeout(()=>end(k-1),10);else setTimeout(()=>d.close(),50)};
const t=setInterval(()=>{d.send('x',+process.argv[2],process.argv[1]);if(++i>=N){clearInterval(t);setTimeout(()=>end(20),20)}},1);`;

async function udpDelivered(from: string, to: string, count: number): Promise<number> {
  const f = fleet!;
  const rx = f.spawn(to, [process.execPath, '-e', COUNT_UDP, f.host(to).address, '7070', '30000'], { label: 'udp counter' });
  await rx.waitForOutput(/ready/, 5000);
  const tx = await f.exec(from, [process.execPath, '-e', SEND_UDP, f.host(to).address, '7070', String(count)]);
  assert.is(tx.status, 0, tx.stderr);
  const m = await rx.waitForOutput(/count=(\d+)/, 35_000);
  return Number(m[1]);
}

test('hosts reach each other across the bridge, and nothing of the subnet exists on the host', async () => {
  fleet = await Fleet.create({ hosts: ['app1', 'app2', 'client1'], subnet: '10.77.0' });
  assert.equal(fleet.hosts.map((h) => h.address), ['10.77.0.2', '10.77.0.3', '10.77.0.4']);
  const server = fleet.spawn('app1', ['nc', '-l', '-k', '10.77.0.2', '5555'], { label: 'nc server' });
  await fleet.waitForTcp('client1', '10.77.0.2', 5555);
  const sent = await fleet.exec('client1', ['sh', '-c', 'echo hello-from-client | nc -N -w 2 10.77.0.2 5555']);
  assert.is(sent.status, 0, sent.stderr);
  await server.waitForOutput(/hello-from-client/, 5000);
  // The client's MAC is the fleet's deterministic one.
  const link = await fleet.exec('client1', ['ip', '-o', 'link', 'show', 'eth0']);
  assert.match(link.stdout, fleet.host('client1').mac);
  // The host's own network namespace has neither the subnet nor the bridge.
  const hostAddrs = await runCommand(['ip', '-o', 'addr']);
  assert.not.match(hostAddrs.stdout, /10\.77\.0\./);
  const hostLinks = await runCommand(['ip', '-o', 'link']);
  assert.not.match(hostLinks.stdout, /lbf-drop|\bbr0\b.*ltspf/);
});

test('a partitioned host is unreachable until healed', async () => {
  const f = fleet!;
  await f.partition('app1');
  const cut = await f.exec('client1', ['nc', '-z', '-w', '1', '10.77.0.2', '5555']);
  assert.is.not(cut.status, 0);
  await f.heal('app1');
  await f.waitForTcp('client1', '10.77.0.2', 5555, 10_000);
});

test('loss drops about the requested share of packets in each direction, and clears', async () => {
  const f = fleet!;
  // Resolve ARP both ways first: a lost ARP request stalls and drops a whole burst, not 30% of it.
  assert.is(await udpDelivered('app2', 'client1', 50), 50);
  assert.is(await udpDelivered('client1', 'app2', 50), 50);
  await f.setLink('app2', { lossPercent: 30 });
  // app2 -> client1 crosses one lossy end (app2's own egress): expect ~70% of 600.
  const delivered = await udpDelivered('app2', 'client1', 600);
  assert.ok(delivered > 600 * 0.55 && delivered < 600 * 0.85, `delivered ${delivered} of 600 with 30% loss`);
  // client1 -> app2 crosses the bridge port's egress toward app2.
  const inbound = await udpDelivered('client1', 'app2', 600);
  assert.ok(inbound > 600 * 0.55 && inbound < 600 * 0.85, `delivered ${inbound} of 600 inbound with 30% loss`);
  await f.setLink('app2', {});
  const clean = await udpDelivered('app2', 'client1', 300);
  assert.is(clean, 300);
});

test('delay uses netem where the kernel has it, and says clearly when it does not', async () => {
  const f = fleet!;
  if (await f.hasNetem()) {
    await f.setLink('app2', { delayMs: 200 });
    const t0 = Date.now();
    const r = await f.exec('client1', ['nc', '-z', '-w', '3', '10.77.0.3', '9']);
    assert.ok(Date.now() - t0 >= 190, 'the refused connection came back after the delay');
    assert.ok(r.status !== null);
    await f.setLink('app2', {});
  } else {
    try {
      await f.setLink('app2', { delayMs: 200 });
      assert.unreachable('delay without netem must throw');
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_FLEET_NETEM_UNAVAILABLE');
    }
  }
});

test('bad arguments throw before anything is created', async () => {
  for (const opts of [{ hosts: [] }, { hosts: ['Bad_Name'] }, { hosts: ['a', 'a'] }, { hosts: ['a'], subnet: '8.8.8' }]) {
    try {
      await Fleet.create(opts);
      assert.unreachable(JSON.stringify(opts));
    } catch (err) {
      assert.is((err as { code?: string }).code, 'ERR_FLEET_ARGUMENT', JSON.stringify(opts));
    }
  }
  try {
    await fleet!.setLink('app1', { lossPercent: 101 });
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code?: string }).code, 'ERR_FLEET_ARGUMENT');
  }
});

test('teardown stops every process and deletes every namespace', async () => {
  const f = fleet!;
  const sleeper = f.spawn('app2', ['sleep', '600'], { label: 'sleeper' });
  // A process that ignores SIGTERM still goes (SIGKILL after the grace).
  const stubborn = f.spawn('app2', ['sh', '-c', 'trap "" TERM; sleep 600 & wait'], { label: 'stubborn' });
  const names = [f.switchNs, ...f.hosts.map((h) => h.ns)];
  await f.teardown(300);
  assert.is(sleeper.running, false);
  assert.is(stubborn.running, false);
  assert.is(f.running.length, 0);
  const left = listFleetNamespaces();
  for (const n of names) assert.not.ok(left.includes(n), `${n} left behind`);
  fleet = undefined;
});

function childScript(body: string): ReturnType<typeof spawnSync> {
  const script = `import { Fleet } from './testing/fleet/netns.ts';\n${body}`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
}

test('a run that crashes or is interrupted leaves no namespace behind', async () => {
  const crashed = childScript(`const f = await Fleet.create({ hosts: ['a'] }); f.spawn('a', ['sleep', '600']); console.log(f.switchNs); throw new Error('boom');`);
  assert.is.not(crashed.status, 0);
  const ns1 = String(crashed.stdout).trim();
  assert.match(ns1, /^ltspf\d+-1-sw$/);
  const interrupted = childScript(`const f = await Fleet.create({ hosts: ['a'] }); console.log(f.switchNs); process.kill(process.pid, 'SIGTERM'); await new Promise((r) => setTimeout(r, 5000));`);
  assert.is(interrupted.signal, 'SIGTERM');
  const ns2 = String(interrupted.stdout).trim();
  const left = listFleetNamespaces();
  assert.not.ok(left.includes(ns1), `${ns1} left after a crash`);
  assert.not.ok(left.includes(ns2), `${ns2} left after SIGTERM`);
});

test('namespaces of a SIGKILLed run are removed as leftovers by the next run', async () => {
  const killed = childScript(`const f = await Fleet.create({ hosts: ['a'] }); console.log(f.switchNs); process.kill(process.pid, 'SIGKILL');`);
  assert.is(killed.signal, 'SIGKILL');
  const ns = String(killed.stdout).trim();
  assert.ok(listFleetNamespaces().includes(ns), 'SIGKILL cannot be caught: the namespace is still there');
  const removed = cleanupLeftovers({ only: [ns] }); // only what this test made
  assert.ok(removed.includes(ns));
  assert.not.ok(listFleetNamespaces().includes(ns));
});

test('without root the harness refuses loudly', () => {
  const r = childScript(`process.setgid(65534); process.setuid(65534);
    try { await Fleet.create({ hosts: ['a'] }); } catch (e) { console.log(e.code + ' ' + e.message); }`);
  assert.match(String(r.stdout), /^ERR_FLEET_NOT_ROOT .*needs root/);
});

test.run();
