/**
 * The survey against real servers on loopback: well-behaved ones, and every kind of hostile one.
 * Each hostile server ends Down with its reason while the others are still used, and the survey
 * ends by the deadline.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { performance } from 'node:perf_hooks';
import { surveyServers, type ServerReport } from '../../balance/probe/survey.ts';
import { renderAdvertisement } from '../../shared/wire/render.ts';
import { sampleAdvertisement } from '../../testing/sample-advertisement.ts';
import { Fleet, startFakeServer } from '../../testing/get-hosts/fake-fleet.ts';
import { LOADED_SLACK_MS } from '../../testing/helpers/wait.ts';
import { parseServerList } from '../../balance/servers.ts';

const fleet = new Fleet();
const ad = (n: number) => sampleAdvertisement({ hostname: `app${n}`, sessions: n, users: 1 });
const good = renderAdvertisement(ad(1), { includeUserNames: false });
const byHost = (reports: ServerReport[]) => new Map(reports.map((r) => [r.server.host, r]));
const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const r = await fn();
  return [r, performance.now() - t];
};

test.after.each(() => fleet.close());

test('every server answers over UDP: reports in list order, rtt measured, done long before the deadline', async () => {
  for (let n = 2; n <= 6; n++) await fleet.start(n, { ad: ad(n) });
  const servers = [6, 5, 4, 3, 2].map((n) => ({ host: fleet.address(n), port: 377 }));
  // A deadline of 20 s (TCP after 8 s): a loaded machine can stall this process for a second, and
  // a stall past the TCP timer would send the answers over TCP. Waiting for the deadline would still
  // show, as 20 s.
  const [reports, ms] = await timed(() => surveyServers(servers, { timeoutMs: 20_000 }));
  assert.equal(reports.map((r) => r.ad?.hostname), ['app6', 'app5', 'app4', 'app3', 'app2']);
  for (const r of reports) {
    assert.is(r.via, 'udp');
    assert.ok(r.reachable && r.rttMs! >= 0 && r.rttMs! < 8000);
    assert.is(r.ad!.userNames, undefined);
  }
  assert.ok(ms < 10_000, `took ${ms} ms`); // half the deadline: it did not wait for it
});

test('UDP silent: the query is repeated once, then TCP brings the full document', async () => {
  const s = await fleet.start(2, { ad: ad(2), udp: { kind: 'silent' } });
  const [[r]] = await timed(() => surveyServers([{ host: s.address, port: 377 }], { timeoutMs: 1000, retryAfterMs: 50, tcpAfterMs: 150 }));
  assert.is(r!.via, 'tcp');
  assert.equal(r!.ad!.userNames, ['alice', 'bob', 'alice']);
  assert.is(s.udpQueries, 2);
  assert.is(s.tcpConnections, 1);
});

test('told to retry over TCP: TCP at once, without waiting for the TCP timer', async () => {
  const s = await fleet.start(2, { ad: ad(2), udp: { kind: 'retry-tcp' } });
  const [[r], ms] = await timed(() => surveyServers([{ host: s.address, port: 377 }], { timeoutMs: 40_000, tcpAfterMs: 20_000 }));
  assert.is(r!.via, 'tcp');
  assert.ok(ms < 10_000, `took ${ms} ms`); // well before the 20 s TCP timer
});

test('a short query gets the retry answer from a real server and still ends with the document', async () => {
  const s = await fleet.start(2, { ad: ad(2) });
  const [r] = await surveyServers([{ host: s.address, port: 377 }], { timeoutMs: 1000, querySize: 100 });
  assert.is(r!.via, 'tcp');
  assert.is(r!.ad!.hostname, 'app2');
});

test('nobody listening: Down with the refused connection, well before the deadline', async () => {
  const [[r], ms] = await timed(() => surveyServers([{ host: fleet.address(9), port: 377 }], { timeoutMs: 30_000, tcpAfterMs: 2000 }));
  assert.is(r!.reachable, false);
  assert.is(r!.error!.code, 'ERR_SURVEY_NETWORK');
  assert.match(r!.error!.message, /ECONNREFUSED/);
  assert.ok(ms < 15_000, `took ${ms} ms`); // TCP's refusal ended it, not the 30 s deadline
});

test('server up, no daemon on the port: its connected UDP socket hears the port unreachable, Down at once, not at the TCP timer', async () => {
  const servers = [{ host: fleet.address(9), port: 377 }, { host: '::1', port: 9 }];
  const [reports, ms] = await timed(() => surveyServers(servers, { timeoutMs: 20_000, tcpAfterMs: 10_000 }));
  for (const r of reports) {
    assert.is(r.reachable, false);
    assert.is(r.error!.code, 'ERR_SURVEY_NETWORK');
    assert.match(r.error!.message, /^ECONNREFUSED: \S+ port \d+: UDP port unreachable and TCP connection refused \(no advertise daemon listening\)$/);
  }
  // The TCP timer is at 10 s: anything under it came from the refusal (typically 2-5 ms).
  assert.ok(ms < 5000, `took ${ms} ms`);
});

test('refused, but TCP answers: the document over TCP at once (a daemon with only its TCP socket)', async () => {
  const s = await fleet.start(2, { ad: ad(2), udp: { kind: 'unbound' } });
  const [[r], ms] = await timed(() => surveyServers([{ host: s.address, port: 377 }], { timeoutMs: 20_000, tcpAfterMs: 10_000 }));
  assert.equal([r!.via, r!.ad!.hostname], ['tcp', 'app2']);
  assert.ok(ms < 5000, `took ${ms} ms`);
});

test('past connectedSocketsMax: one unconnected socket per family, a refused port waits for the TCP timer', async () => {
  const live = await fleet.start(2, { ad: ad(2) });
  const servers = [{ host: live.address, port: 377 }, { host: fleet.address(9), port: 377 }];
  const [reports, ms] = await timed(() => surveyServers(servers, { timeoutMs: 2000, tcpAfterMs: 300, connectedSocketsMax: 1 }));
  assert.is(reports[0]!.ad!.hostname, 'app2');
  assert.match(reports[1]!.error!.message, /^ECONNREFUSED: TCP \S+ port 377: connection refused/);
  assert.ok(ms >= 290, `took ${ms} ms: refused before the TCP timer, so the socket was connected`);
});

test('an unresolvable name is Down with ERR_SURVEY_RESOLVE', async () => {
  const [r] = await surveyServers([{ host: 'no-such-host.invalid', port: 377 }], { timeoutMs: 2000 });
  assert.ok(['ERR_SURVEY_RESOLVE', 'ERR_SURVEY_TIMEOUT'].includes(r!.error!.code), r!.error!.code);
});

const hostile: Array<[string, Parameters<Fleet['start']>[1], string, RegExp]> = [
  ['100 MB over TCP', { udp: { kind: 'silent' }, tcp: { kind: 'huge', bytes: 100 * 1024 * 1024 } }, 'ERR_WIRE_TOO_LARGE', /exceeds the 65536-byte limit/],
  ['an entity bomb', { udp: { kind: 'raw', text: `<!DOCTYPE a [<!ENTITY a "${'x'.repeat(50)}"><!ENTITY b "&a;&a;&a;&a;">]>${good}` } }, 'ERR_WIRE_UNSAFE', /DOCTYPE/],
  ['deep nesting', { udp: { kind: 'raw', text: good.replace('</advertise>', `${'<a>'.repeat(10)}${'</a>'.repeat(10)}</advertise>`) } }, 'ERR_WIRE_SYNTAX', /./],
  // An honest server never answers with more than the 1,200 bytes the query carried.
  ['a valid UDP document larger than the query', { udp: { kind: 'raw', text: good.replace('</advertise>', `<future>${'x'.repeat(1200)}</future></advertise>`) } }, 'ERR_WIRE_TOO_LARGE', /1200-byte limit/],
  ['64 KiB of empty elements over TCP', { udp: { kind: 'silent' }, tcp: { kind: 'raw', text: good.replace('</advertise>', `${'<x/>'.repeat(16_000)}</advertise>`) } }, 'ERR_WIRE_BUDGET', /more than 64 elements/],
  ['NaN', { udp: { kind: 'raw', text: good.replace(/<cpus>\d+<\/cpus>/, '<cpus>NaN</cpus>') } }, 'ERR_WIRE_FIELD', /cpus/],
  ['a negative number', { udp: { kind: 'raw', text: good.replace(/<loadavg1>[^<]+</, '<loadavg1>-3<') } }, 'ERR_WIRE_FIELD', /loadavg1/],
  ['1e308', { udp: { kind: 'raw', text: good.replace(/<sessions>\d+</, '<sessions>1e308<') } }, 'ERR_WIRE_FIELD', /sessions/],
  ['another version', { udp: { kind: 'raw', text: good.replace('version="1"', 'version="7"') } }, 'ERR_WIRE_VERSION', /"7"/],
  ['garbage', { udp: { kind: 'raw', text: '\x00\x01garbage' } }, 'ERR_WIRE_SYNTAX', /./],
  ['a slow TCP drip', { udp: { kind: 'silent' }, tcp: { kind: 'drip', intervalMs: 40 } }, 'ERR_SURVEY_TIMEOUT', /TCP unfinished/],
  ['a TCP reset', { udp: { kind: 'silent' }, tcp: { kind: 'reset' } }, 'ERR_SURVEY_NETWORK', /ECONNRESET/],
  ['a UDP answer after the deadline', { udp: { kind: 'delay', ms: 600 }, tcp: { kind: 'drip', intervalMs: 1000 } }, 'ERR_SURVEY_TIMEOUT', /./],
  ['a TCP close without a document', { udp: { kind: 'silent' }, tcp: { kind: 'closed' } }, 'ERR_WIRE_SYNTAX', /closed the connection without sending a document/],
];

test('hostile servers are Down with the reason; the good one is used; all within the deadline', async () => {
  await fleet.start(2, { ad: ad(2) });
  for (let i = 0; i < hostile.length; i++) await fleet.start(10 + i, { ad: ad(10 + i), ...hostile[i]![1] });
  const servers = [2, ...hostile.map((_, i) => 10 + i)].map((n) => ({ host: fleet.address(n), port: 377 }));
  const heapBefore = process.memoryUsage().rss;
  const [reports, ms] = await timed(() => surveyServers(servers, { timeoutMs: 400 }));
  const got = byHost(reports);
  assert.is(got.get(fleet.address(2))!.ad!.hostname, 'app2');
  hostile.forEach(([name, , code, message], i) => {
    const r = got.get(fleet.address(10 + i))!;
    assert.is(r.reachable, false, name);
    assert.ok(r.error!.code.startsWith(code), `${name}: ${r.error!.code} ${r.error!.message}`);
    assert.match(r.error!.message, message, name);
  });
  assert.ok(ms < 400 + LOADED_SLACK_MS, `survey took ${ms} ms for a 400 ms deadline`);
  // nothing close to 100 MB was buffered
  assert.ok(process.memoryUsage().rss - heapBefore < 50 * 1024 * 1024);
});

test('30 servers with 5 dead: one deadline, not a timeout per dead server', async () => {
  for (let n = 1; n <= 25; n++) await fleet.start(n, { ad: ad(n) });
  for (let n = 26; n <= 30; n++) await fleet.start(n, { ad: ad(n), udp: { kind: 'silent' }, tcp: { kind: 'drip', intervalMs: 1000 } });
  const servers = Array.from({ length: 30 }, (_, i) => ({ host: fleet.address(i + 1), port: 377 }));
  const [reports, ms] = await timed(() => surveyServers(servers, { timeoutMs: 300 }));
  assert.is(reports.filter((r) => r.reachable).length, 25);
  assert.ok(ms >= 290 && ms < 300 + LOADED_SLACK_MS, `took ${ms} ms`);
});

test('onReport hears each server once, as soon as it is settled; an abort ends the survey', async () => {
  await fleet.start(2, { ad: ad(2) });
  await fleet.start(3, { ad: ad(3), udp: { kind: 'silent' }, tcp: { kind: 'drip', intervalMs: 1000 } });
  const heard: string[] = [];
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  const [reports, ms] = await timed(() =>
    surveyServers([fleet.address(2), fleet.address(3)].map((host) => ({ host, port: 377 })), {
      timeoutMs: 5000,
      signal: controller.signal,
      onReport: (r) => heard.push(`${r.server.host} ${r.reachable}`),
    }),
  );
  assert.equal(heard, [`${fleet.address(2)} true`, `${fleet.address(3)} false`]);
  assert.is(reports[1]!.error!.code, 'ERR_SURVEY_TIMEOUT');
  assert.ok(ms < 1000);
});

test('IPv6: two spellings of one address are one server, and its answer is matched to it', async () => {
  let server;
  for (let tries = 0; !server; tries++) {
    try {
      server = await startFakeServer({ address: '::1', port: 20_000 + Math.floor(Math.random() * 40_000), ad: ad(7) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || tries > 20) throw err;
    }
  }
  try {
    const servers = parseServerList(`[::1]:${server.port} [0:0:0:0:0:0:0:1]:${server.port}`, 'test');
    assert.is(servers.length, 1);
    // Spelled out, the address must still be matched to the kernel's spelling of the answer's source.
    const [r] = await surveyServers([{ host: '0:0:0:0:0:0:0:1', port: server.port }], { timeoutMs: 5000, tcpAfterMs: 4000, retryAfterMs: 4000 });
    assert.is(r!.via, 'udp', JSON.stringify(r!.error));
    assert.is(r!.ad!.hostname, 'app7');
  } finally {
    await server.close();
  }
});

test('an empty list is an empty survey', async () => {
  assert.equal(await surveyServers([], { timeoutMs: 100 }), []);
});

test.run();
