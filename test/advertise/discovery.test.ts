/**
 * Discovery by broadcast, in two network namespaces this test creates (and deletes): a server with
 * two links, one of them listed with --interface, and a client on both. A padded broadcast query on
 * the listed link is answered with the document (never more bytes than the query); the same query
 * on the other link is ignored and counted. Traffic never leaves the namespaces.
 */
import { execFileSync, spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fetchStatus } from '../../advertise/status.ts';
import { parseReply } from '../../shared/wire/parse.ts';
import { ADVERTISE_PORT } from '../../shared/wire/advertisement.ts';
import { startDaemon, stopAll, within } from '../../testing/advertise/helpers.ts';
import { eventually, GENEROUS_MS } from '../../testing/helpers/wait.ts';

// The whole pid: names unique among the test runs alive now (interface names: 3 + 7 digits <= 15).
const tag = `${process.pid}`;
const SERVER_NS = `ltspadv-s${tag}`;
const CLIENT_NS = `ltspadv-c${tag}`;
// Listed link 10.231.0.0/24, unlisted link 10.232.0.0/24.
const LISTED = { server: `las${tag}`, client: `lac${tag}`, net: '10.231.0' };
const OTHER = { server: `lbs${tag}`, client: `lbc${tag}`, net: '10.232.0' };

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

function teardown() {
  for (const ns of [SERVER_NS, CLIENT_NS]) {
    try {
      ip('netns', 'del', ns); // deletes the veth pairs with it
    } catch {
      // not created
    }
  }
}
process.on('exit', teardown);

test.before(() => {
  teardown();
  ip('netns', 'add', SERVER_NS);
  ip('netns', 'add', CLIENT_NS);
  for (const link of [LISTED, OTHER]) {
    ip('link', 'add', link.server, 'netns', SERVER_NS, 'type', 'veth', 'peer', 'name', link.client, 'netns', CLIENT_NS);
    ip('-n', SERVER_NS, 'addr', 'add', `${link.net}.1/24`, 'brd', '+', 'dev', link.server);
    ip('-n', CLIENT_NS, 'addr', 'add', `${link.net}.2/24`, 'brd', '+', 'dev', link.client);
    ip('-n', SERVER_NS, 'link', 'set', link.server, 'up');
    ip('-n', CLIENT_NS, 'link', 'set', link.client, 'up');
  }
  ip('-n', SERVER_NS, 'link', 'set', 'lo', 'up');
  ip('-n', CLIENT_NS, 'link', 'set', 'lo', 'up');
});

test.after(async () => {
  await stopAll();
  teardown();
});

/**
 * Broadcasts one datagram from the client namespace; returns the replies (from, bytes). It waits for
 * the first reply as long as `waitMs` (a generous cap where one is expected: the daemon may be slow
 * to get a CPU), then 300 ms more for any other reply; where none is expected, `waitMs` is the
 * silence that shows it.
 */
async function broadcast(to: string, size: number, waitMs = 20_000): Promise<Array<{ from: string; bytes: Buffer }>> {
  const source = `
    import dgram from 'node:dgram';
    import { buildQuery } from ${JSON.stringify(new URL('../../shared/wire/udp-query.ts', import.meta.url).pathname)};
    const s = dgram.createSocket('udp4');
    const out = [];
    const finish = () => { process.stdout.write(JSON.stringify(out)); s.close(); process.exit(0); };
    s.on('message', (m, r) => {
      if (out.length === 0) setTimeout(finish, 300);
      out.push({ from: r.address, bytes: m.toString('base64') });
    });
    s.bind(0, () => {
      s.setBroadcast(true);
      s.send(buildQuery(${size}), ${ADVERTISE_PORT}, ${JSON.stringify(to)});
      setTimeout(finish, ${waitMs});
    });`;
  const child = spawn('ip', ['netns', 'exec', CLIENT_NS, process.execPath, '--import', 'tsx', '--input-type=module', '-e', source], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await within(new Promise((r) => child.on('exit', r)), waitMs + 30_000, 'broadcast client');
  return (JSON.parse(out) as Array<{ from: string; bytes: string }>).map((r) => ({ from: r.from, bytes: Buffer.from(r.bytes, 'base64') }));
}

test('a padded broadcast on the listed link gets the document from the server, on port 377', async () => {
  const d = await startDaemon({
    host: '0.0.0.0',
    port: ADVERTISE_PORT,
    wrapper: ['ip', 'netns', 'exec', SERVER_NS],
    args: ['--interface', LISTED.server, '--hostname', 'app-discovered'],
  });
  await d.waitForLog(/listening on tcp 0\.0\.0\.0:377, udp 0\.0\.0\.0:377 \(bound\).*answering only 10\.231\.0\.1\/24/);
  const replies = await broadcast(`${LISTED.net}.255`, 1200);
  assert.is(replies.length, 1);
  assert.is(replies[0]!.from, `${LISTED.net}.1`);
  assert.ok(replies[0]!.bytes.length <= 1200);
  const reply = parseReply(replies[0]!.bytes);
  assert.is(reply.kind === 'document' && reply.ad.hostname, 'app-discovered');

  const short = await broadcast(`${LISTED.net}.255`, 40);
  assert.is(short.length, 1);
  assert.ok(short[0]!.bytes.length <= 40, 'the short broadcast gets at most its own size back');
  assert.equal(parseReply(short[0]!.bytes), { kind: 'retry-tcp' });

  assert.equal(await broadcast(`${OTHER.net}.255`, 1200, 700), [], 'the unlisted link is not answered');
  // The refusal is counted when the daemon gets to the datagram: on a loaded machine, maybe later.
  const c = await eventually(async () => {
    const counters = (await fetchStatus(d.statusSocket)).counters;
    return (counters.udpRejected ?? 0) >= 1 && counters;
  }, GENEROUS_MS, 'the refused broadcast counted');
  assert.is(c.udpServed, 1);
  assert.is(c.udpRetryTcp, 1);
  assert.is(c.udpRejected, 1);
  assert.is(await d.stop(), 0);
});

test.run();
