/**
 * The daemon under systemd-socket-activate, which passes sockets exactly as systemd does (LISTEN_FDS,
 * LISTEN_PID, LISTEN_FDNAMES). One invocation makes sockets of one type only (-d applies to every -l),
 * so two are nested: the outer passes the TCP listener through, the inner adds the UDP socket.
 * Both wait for the first traffic before they exec the daemon, so each test starts with a TCP query.
 */
import { createServer } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAdvertisement, parseReply } from '../../shared/wire/parse.ts';
import { fetchTcp, queryUdp, startDaemon, stopAll, within } from '../../testing/advertise/helpers.ts';

test.after(stopAll);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function activate(tcpAddress: string, udpAddress: string, names: [string, string]): string[] {
  return [
    'systemd-socket-activate', '-l', tcpAddress, `--fdname=${names[0]}`,
    'systemd-socket-activate', '-d', '-l', udpAddress, `--fdname=${names.join(':')}`,
  ];
}

test('adopts a named IPv4 TCP listener and UDP socket', async () => {
  const port = await freePort();
  const d = await startDaemon({ port, wrapper: activate(`127.0.0.1:${port}`, `127.0.0.1:${port}`, ['tcp', 'udp']) });
  const ad = parseAdvertisement(await fetchTcp(port)); // this connection starts the daemon
  assert.ok(ad.hostname.length > 0);
  await d.waitForLog(/listening on tcp 127\.0\.0\.1:\d+, udp 127\.0\.0\.1:\d+ \(socket-activated\)/);
  const replies = await queryUdp(port);
  assert.is(replies.length, 1);
  assert.is(parseReply(replies[0]!).kind, 'document');
  assert.is(await d.stop(), 0);
});

test('udp6 trap: a dual-stack UDP socket (bare port, as ListenDatagram=377 gives) answers IPv4 and IPv6 peers', async () => {
  const port = await freePort();
  // One name for both fds, as a single .socket unit's FileDescriptorName= gives: the type is detected.
  const d = await startDaemon({ port, wrapper: activate(`127.0.0.1:${port}`, String(port), ['advertise', 'advertise']) });
  await fetchTcp(port);
  await d.waitForLog(/udp \[::\]:\d+ \(socket-activated\)/);
  const v4 = await queryUdp(port, undefined, { host: '127.0.0.1' });
  assert.is(v4.length, 1, 'an IPv4 peer (seen as ::ffff:127.0.0.1) gets its reply');
  assert.is(parseReply(v4[0]!).kind, 'document');
  const v6 = await queryUdp(port, undefined, { host: '::1' });
  assert.is(v6.length, 1, 'an IPv6 peer gets its reply');
  assert.not.match(d.log(), /send failed/);
  assert.is(await d.stop(), 0);
});

test('LISTEN_FDS meant for another process (LISTEN_PID) is ignored: the daemon binds itself', async () => {
  const d = await startDaemon({ env: { LISTEN_FDS: '2', LISTEN_PID: '1', LISTEN_FDNAMES: 'tcp:udp' } });
  assert.match(d.log(), /\(bound\)/);
  assert.is((await queryUdp(d.port)).length, 1);
  assert.is(await d.stop(), 0);
});

test('two TCP sockets and no UDP: a coded error and exit code 1', async () => {
  const [port, second] = [await freePort(), await freePort()];
  const d = await startDaemon({ port, wrapper: ['systemd-socket-activate', '-l', `127.0.0.1:${port}`, '-l', `127.0.0.1:${second}`] });
  await fetchTcp(port).catch(() => undefined);
  assert.is(await within(d.exited, 20_000, 'daemon exit'), 1);
  assert.match(d.log(), /<3>fd 3: expected one TCP and one UDP socket from systemd, got 3=tcp\(unknown\) 4=tcp\(unknown\) \(ERR_LISTEN_FD_TYPE\)/);
});

test.run();
