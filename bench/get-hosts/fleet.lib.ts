/**
 * A fleet of advertise-protocol servers in its own process (so the client being measured does not
 * share an event loop with them): `node --import tsx bench/get-hosts/fleet.lib.ts SUBNET LIVE DEAD`
 * serves LIVE well-behaved servers on SUBNET.1.. and DEAD black holes after them (UDP silent, TCP
 * accepted but never answered: what a hung host looks like). Prints "ready" and runs until stdin closes.
 */
import { Fleet } from '../../testing/get-hosts/fake-fleet.ts';
import { sampleAdvertisement } from '../../testing/sample-advertisement.ts';

const [subnet, liveText, deadText] = process.argv.slice(2);
const live = Number(liveText);
const dead = Number(deadText ?? 0);
const fleet = new Fleet();
Object.defineProperty(fleet, 'subnet', { value: subnet });
for (let n = 1; n <= live + dead; n++) {
  const ad = sampleAdvertisement({ hostname: `app${n}`, cpus: 8, loadavg1: (n % 7) * 0.8, loadavg5: (n % 7) * 0.8, sessions: n, users: 1, userNames: undefined });
  await fleet.start(n, n <= live ? { ad } : { ad, udp: { kind: 'silent' }, tcp: { kind: 'drip', intervalMs: 60_000 } });
}
process.stdout.write('ready\n');
process.stdin.resume();
process.stdin.on('end', () => void fleet.close().then(() => process.exit(0)));
