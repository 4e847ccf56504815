/**
 * File descriptors a survey holds at its peak, by list length (issue 14: a thin client may run with
 * `ulimit -n 256`). Up to CONNECTED_SOCKETS_MAX servers each get a connected UDP socket; past it one
 * unconnected socket per address family; TCP fallbacks at most TCP_CONNECTIONS_MAX at once.
 * Two kinds of server, on loopback addresses:
 * - refused: nothing listens (ICMP port unreachable, TCP reset): every server settles at once;
 * - black holes: UDP silent, TCP accepted and never answered (bench/get-hosts/fleet.lib.ts, in its
 *   own process): every TCP fallback stays open until the deadline.
 * The count is /proc/self/fd, sampled at settled servers (at most every 0.25 ms) and every
 * millisecond, minus the count before the survey. The built get_hosts with 1,000 servers under `prlimit --nofile=256` is
 * test/get-hosts/many-servers.test.ts.
 */
import { readdirSync } from 'node:fs';
import { CONNECTED_SOCKETS_MAX, surveyServers, TCP_CONNECTIONS_MAX } from '../../balance/probe/survey.ts';
import { randomSubnet, startFleet, stopFleet, table } from './measure.lib.ts';

const fds = (): number => readdirSync('/proc/self/fd').length;

async function peak(hosts: string[], timeoutMs: number): Promise<{ peak: number; ms: number; down: number }> {
  const before = fds();
  let max = before;
  // At most every 0.25 ms: reading /proc/self/fd at each of 1,000 reports would itself hold up the survey.
  let last = 0;
  const sample = (): void => {
    if (performance.now() - last < 0.25) return;
    max = Math.max(max, fds());
    last = performance.now();
  };
  const timer = setInterval(sample, 1);
  const started = performance.now();
  const reports = await surveyServers(hosts.map((host) => ({ host, port: 377 })), { timeoutMs, onReport: sample });
  const ms = performance.now() - started;
  clearInterval(timer);
  return { peak: max - before, ms, down: reports.filter((r) => !r.reachable).length };
}

const rows: Array<Record<string, string | number>> = [];
const refusedList = (n: number): string[] => {
  const base = `127.${128 + Math.floor(Math.random() * 100)}`;
  return Array.from({ length: n }, (_, i) => `${base}.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`);
};
for (const n of [30, CONNECTED_SOCKETS_MAX, CONNECTED_SOCKETS_MAX + 1, 256, 1000]) {
  const r = await peak(refusedList(n), 1000);
  rows.push({ servers: n, kind: 'refused', sockets: n <= CONNECTED_SOCKETS_MAX ? 'connected, one each' : 'one per family', 'peak extra fds': r.peak, 'decided ms': r.ms.toFixed(1), down: r.down });
}
const subnet = randomSubnet();
const holes = 150;
const fleet = await startFleet(subnet, 0, holes);
try {
  for (const n of [30, CONNECTED_SOCKETS_MAX, holes]) {
    const r = await peak(Array.from({ length: n }, (_, i) => `${subnet}.${i + 1}`), 600);
    rows.push({ servers: n, kind: 'black holes', sockets: n <= CONNECTED_SOCKETS_MAX ? 'connected, one each' : 'one per family', 'peak extra fds': r.peak, 'decided ms': r.ms.toFixed(1), down: r.down });
  }
} finally {
  await stopFleet(fleet);
}
process.stdout.write(`${table(rows)}\n\nconnected sockets up to ${CONNECTED_SOCKETS_MAX} servers, TCP fallbacks at most ${TCP_CONNECTIONS_MAX} at once; node ${process.version}; deadline 1000 ms (refused), 600 ms (black holes)\n`);
