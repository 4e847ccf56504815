/**
 * TCP under a source that hogs connections (issue 17): the connection budget is shared per source
 * address, so a source that keeps re-opening idle connections holds its own share and every other
 * source still gets the document. Real sockets from several loopback source addresses (127.0.0.x).
 * And a daemon out of file descriptors names EMFILE, not a "missing" /proc file.
 */
import { connect, type Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAdvertisement } from '../../shared/wire/parse.ts';
import { startDaemon, stopAll, within, type Daemon } from '../../testing/advertise/helpers.ts';

/** Every hog, stopped after the tests also when one failed: a hog re-connects for ever otherwise. */
const allHogs = new Set<{ stop: () => void }>();
test.after(async () => {
  for (const h of allHogs) h.stop();
  await stopAll();
});

/** The document, or '' when the daemon closed without one (refused), fetched from `from`. */
function fetchFrom(d: Daemon, from: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: d.host, port: d.port, localAddress: from });
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => (text += c));
    s.on('close', () => resolve(text));
    s.on('error', () => {});
    s.setTimeout(20_000, () => s.destroy());
  });
}

/**
 * A hostile source: keeps `want` connections open from `from`, never reading or closing them, and
 * re-opens each one the daemon closes. Resolves once it has been refused at least once (it is at
 * its cap), or holds `want`.
 */
function hog(d: Daemon, from: string, want: number): { held: () => number; stop: () => void; settled: Promise<void> } {
  const open = new Set<Socket>();
  let stopped = false;
  let refusals = 0;
  let notify = (): void => {};
  const settled = new Promise<void>((resolve) => (notify = resolve));
  const check = (): void => {
    if (refusals > 0 || open.size >= want) notify();
  };
  const one = (): void => {
    if (stopped) return;
    const s = connect({ host: d.host, port: d.port, localAddress: from });
    s.pause(); // never read: the answered connection lingers until the daemon's deadline
    let answered = false;
    s.on('connect', () => {
      // The daemon writes at once; a connection it keeps is one where the first byte arrives.
      s.once('readable', () => {
        if (s.readableLength === 0) return; // end of stream: closed with nothing
        answered = true;
        open.add(s);
        check();
      });
    });
    s.on('error', () => {});
    s.on('close', () => {
      open.delete(s);
      if (!answered) refusals++;
      check();
      if (!stopped) setImmediate(one);
    });
  };
  for (let i = 0; i < want; i++) one();
  const h = {
    held: () => open.size,
    settled,
    stop() {
      stopped = true;
      for (const s of open) s.destroy();
    },
  };
  allHogs.add(h);
  return h;
}

test('one source re-opening idle connections holds its share; other sources always get the document', async () => {
  const d = await startDaemon({ args: ['--max-connections', '16', '--max-connections-per-source', '4', '--write-timeout', '20000'] });
  const h = hog(d, '127.0.0.2', 40);
  await within(h.settled, 20_000, 'the hog to reach its cap');
  assert.ok(h.held() <= 4, `the hog holds ${h.held()}`);
  for (const from of ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6']) {
    for (let i = 0; i < 10; i++) {
      const doc = await fetchFrom(d, from);
      assert.ok(doc.length > 0, `${from} try ${i}: closed with no document`);
      parseAdvertisement(Buffer.from(doc));
    }
  }
  h.stop();
});

test('when several sources fill the whole budget, a new source still gets the document', async () => {
  const d = await startDaemon({ args: ['--max-connections', '16', '--max-connections-per-source', '4', '--write-timeout', '20000'] });
  const hogs = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'].map((from) => hog(d, from, 4));
  await within(Promise.all(hogs.map((h) => h.settled)), 20_000, 'the hogs to fill the budget');
  assert.is(hogs.reduce((n, h) => n + h.held(), 0), 16);
  for (const from of ['127.0.0.10', '127.0.0.11', '127.0.0.12']) {
    const doc = await fetchFrom(d, from);
    assert.ok(doc.length > 0, `${from}: closed with no document`);
  }
  for (const h of hogs) h.stop();
  await d.stop();
  assert.match(d.log(), /closed answered TCP connections of the source holding the most, to admit another: \d+ in the last/);
});

test('connections admitted before any limit was near still count toward their source\'s cap', async () => {
  // The daemon only looks a source up once the open count reaches the per-source cap (below it,
  // nobody can be over): the first 4 connections wait unattributed, and must be attributed then.
  const d = await startDaemon({ args: ['--max-connections', '16', '--max-connections-per-source', '4', '--write-timeout', '20000'] });
  const first = hog(d, '127.0.0.2', 3);
  await within(first.settled, 20_000, 'three idle connections from 127.0.0.2');
  const other = hog(d, '127.0.0.3', 1);
  await within(other.settled, 20_000, 'one idle connection from 127.0.0.3');
  assert.is(first.held() + other.held(), 4, 'all admitted unattributed');
  const more = hog(d, '127.0.0.2', 5);
  await within(more.settled, 20_000, '127.0.0.2 to be refused');
  assert.is(first.held() + more.held(), 4, `127.0.0.2 holds ${first.held()} + ${more.held()}, its cap is 4`);
  const doc = await fetchFrom(d, '127.0.0.3');
  assert.ok(doc.length > 0, '127.0.0.3, under its cap, still gets the document');
  for (const h of [first, other, more]) h.stop();
});

test('out of file descriptors: the /proc read failure says EMFILE, not "missing"', async () => {
  // 40 descriptors: node itself uses about 20; a few held connections use up the rest.
  const d = await startDaemon({
    wrapper: ['prlimit', '--nofile=40:40', '--'],
    args: ['--sample-interval', '100', '--max-connections', '1000', '--max-connections-per-source', '1000', '--write-timeout', '20000'],
  });
  const h = hog(d, '127.0.0.2', 60);
  const m = await d.waitForLog(/cannot read (loadavg|meminfo|cpuinfo|stat|uptime|vmstat): (.*)/, 20_000);
  h.stop();
  assert.match(m[2]!, /^EMFILE: too many open files, open '.*' \(EMFILE\)/);
  assert.not.match(d.log(), /cannot read (loadavg|meminfo|cpuinfo|stat|uptime|vmstat): .*missing/);
});

test.run();
