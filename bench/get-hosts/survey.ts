/**
 * The decision against a live fleet, with get_hosts as installed (the CommonJS hook bundle), each
 * case side by side with its floor in the same run, in alternating rounds:
 * - 30 live servers on loopback (127.x.y.1-30, the harness's servers, bench/get-hosts/fleet.lib.ts):
 *   get_hosts' decision (`elapsedMs` in --json: from the start of its main function, settings work
 *   included, to the decision) against the bare-Node floor: a minimal script that sends the same 30
 *   padded queries from one socket and waits for 30 replies, parsing nothing (first send to last
 *   reply). Target: at most 2x the floor.
 * - server up, daemon down (a loopback address with nothing on port 377): decided within 20 ms of
 *   start-up (`elapsedMs`) on Node 12+, where each server has a connected UDP socket; on Node 10 (no
 *   dgram connect()) it waits for the TCP timer, at 2/5 of the 300 ms deadline (shown for contrast).
 * - 30 servers of which 5 are black holes (UDP silent, TCP accepted and never answered): the
 *   decision comes at the one overall deadline (300 ms), not after a per-server timeout times 5.
 * Every child runs without NODE_EXTRA_CA_CERTS and NODE_OPTIONS (thin clients have neither).
 * The fleet runs in its own process so that it does not share the measured client's event loop.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { officialNode } from '../../testing/node-binaries.ts';
import { QUERY_MAGIC, QUERY_PADDED_BYTES } from '../../shared/wire/udp-query.ts';
import { bundleGetHosts, measure, median, randomSubnet, startFleet, stopFleet, table } from './measure.lib.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);

/** The floor: the same queries from one socket, 30 replies counted, nothing parsed. Prints ms from first send to last reply. */
const FLOOR = `const dgram = require('dgram'), { performance } = require('perf_hooks');
const list = process.argv[1].split(' '), q = Buffer.alloc(${QUERY_PADDED_BYTES});
q.write(${JSON.stringify(QUERY_MAGIC)});
const s = dgram.createSocket('udp4');
let n = 0;
s.on('message', () => { if (++n === list.length) { console.log(performance.now() - first); s.close(); } });
const first = performance.now();
for (const a of list) s.send(q, 377, a);`;

const stats = (v: number[]): string => [Math.min(...v), median(v), Math.max(...v)].map((x) => x.toFixed(1)).join(' / ');

const dir = await bundleGetHosts('cjs');
const getHosts = join(dir, 'get_hosts.cjs');
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LDM_') && k !== 'NODE_EXTRA_CA_CERTS' && k !== 'NODE_OPTIONS')), LDM_BALANCE_CACHE: join(dir, 'none.json'), LDM_BALANCE_DISCOVER: 'N' };
const rows: Array<Record<string, string | number>> = [];
const lines: string[] = [];
try {
  const subnet = randomSubnet();
  const servers = (n: number) => Array.from({ length: n }, (_, i) => `${subnet}.${i + 1}`).join(' ');
  const run = async (list: string, node = process.execPath) => {
    const s = await measure(node, [getHosts, '--servers', list, '--json'], env);
    const doc = JSON.parse(s.stdout) as { elapsedMs: number; servers: Array<{ status: string; error: { message: string } | null }> };
    return { wall: s.wallMs, decision: doc.elapsedMs, down: doc.servers.filter((x) => x.status === 'Down').length, doc };
  };

  // Server up, daemon down: nothing listens on this loopback address (no fleet needed).
  const refused = `${randomSubnet()}.1`;
  const node10 = officialNode('10.24.1');
  const refusedRuns: Record<string, number[]> = { [`Node ${process.version} (connected)`]: [], 'Node v10.24.1 (unconnected)': [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const name of Object.keys(refusedRuns)) {
      const r = await run(refused, name.includes('v10') ? node10 : process.execPath);
      if (r.down !== 1 || !/ECONNREFUSED/.test(r.doc.servers[0]!.error!.message)) throw new Error(`not refused: ${JSON.stringify(r.doc.servers)}`);
      refusedRuns[name]!.push(r.decision);
    }
  }
  for (const [name, v] of Object.entries(refusedRuns)) rows.push({ case: `server up, daemon down: ${name}`, 'decision ms min / median / max': stats(v), 'floor ms min / median / max': '-', ratio: '-' });
  const connected = Object.values(refusedRuns)[0]!;
  lines.push(`server up, daemon down: decided within ${median(connected).toFixed(1)} ms of start-up (median; min ${Math.min(...connected).toFixed(1)}, max ${Math.max(...connected).toFixed(1)}; target <= 20 ms)`);

  for (const [name, live, dead] of [['30 live servers', 30, 0], ['30 servers, 5 black holes', 25, 5]] as const) {
    const fleet = await startFleet(subnet, live, dead);
    try {
      const decision: number[] = [];
      const floor: number[] = [];
      let down = 0;
      for (let i = 0; i < ROUNDS; i++) {
        // Alternating which goes first, so neither always runs right after the other.
        const order = i % 2 ? ['floor', 'get_hosts'] : ['get_hosts', 'floor'];
        for (const which of order) {
          if (which === 'get_hosts') {
            const r = await run(servers(30));
            decision.push(r.decision);
            down = Math.max(down, r.down);
          } else if (!dead) {
            floor.push(Number((await measure(process.execPath, ['-e', FLOOR, servers(30)], env)).stdout));
          }
        }
      }
      rows.push({
        case: `${name} (${down} Down at worst)`,
        'decision ms min / median / max': stats(decision),
        'floor ms min / median / max': floor.length ? stats(floor) : '-',
        ratio: floor.length ? (median(decision) / median(floor)).toFixed(2) : '-',
      });
      if (!dead) lines.push(`30 live: decided at ${median(decision).toFixed(1)} ms, ${(median(decision) / median(floor)).toFixed(2)}x the bare-Node floor of ${median(floor).toFixed(1)} ms (target <= 2x)`);
      else lines.push(`5 of 30 dead: decided at ${median(decision).toFixed(1)} ms (deadline 300 ms; 5 sequential 300 ms timeouts would be 1500 ms)`);
    } finally {
      await stopFleet(fleet);
    }
  }
  process.stdout.write(`${table(rows)}\n\n${ROUNDS} alternating rounds each; decision = get_hosts' elapsedMs (--json), floor = first send to last reply; default deadline 300 ms; node ${process.version}; NODE_EXTRA_CA_CERTS and NODE_OPTIONS removed\n${lines.join('\n')}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
