/**
 * Authentications per second against a real Samba AD DC (provisioned for this run in private
 * namespaces, as the tests do): one `wbinfo -a` at a time, direct synchronous libwbclient calls in
 * one process (no pool), and through the pool's socket with 1 and 4 requests in flight.
 * Needs root and Samba (see testing/winbind-pool/samba-dc.ts).
 */
import { join } from 'node:path';
import { PoolClient } from '../../winbind-pool/client.ts';
import { startDaemon } from '../../testing/winbind-pool/harness.ts';
import { startSambaDc } from '../../testing/winbind-pool/samba-dc.ts';
import { drive, table } from './bench.lib.ts';

const USER = 'alice';
const PASSWORD = 'Al1ce-Passw0rd';
const WBINFO_RUNS = 30;
const POOL_RUNS = 400;

const dc = await startSambaDc();
try {
  await dc.addUser(USER, PASSWORD, 20001, 100);
  const rows: (string | number)[][] = [['path', 'auths', 'seconds', 'auths/s', 'x wbinfo']];
  const add = (label: string, n: number, seconds: number, base: number): number => {
    const rate = n / seconds;
    rows.push([label, n, seconds.toFixed(2), rate.toFixed(1), (rate / (base || rate)).toFixed(1)]);
    return rate;
  };

  // wbinfo -a checks the password twice (plaintext, then challenge/response): counted as one login.
  const wbinfo = await drive(() => dc.run('wbinfo', ['-a', `${USER}%${PASSWORD}`]), WBINFO_RUNS, 1);
  const base = add('wbinfo -a, one at a time', WBINFO_RUNS, wbinfo, 0);

  const direct = JSON.parse(
    await dc.run(process.execPath, [
      '--import', 'tsx', '--input-type=module', '-e',
      `import { WinbindBackend } from './winbind-pool/backends/winbind.ts';
       const b = new WinbindBackend('libwbclient.so.0');
       for (let i = 0; i < 20; i++) b.auth('${USER}', '${PASSWORD}');
       const t = performance.now();
       for (let i = 0; i < ${POOL_RUNS}; i++) b.auth('${USER}', '${PASSWORD}');
       console.log(JSON.stringify((performance.now() - t) / 1000));`,
    ]),
  ) as number;
  add('libwbclient in-process, sequential (no pool)', POOL_RUNS, direct, base);

  const sock = join(dc.dir, 'bench.sock');
  const daemon = await startDaemon(['--socket', sock, '--backend', 'winbind', '--min-workers', '4', '--max-workers', '4', '--max-requests', '0'], { prefix: dc.prefix });
  try {
    const client = await PoolClient.connect(sock);
    const auth = (): Promise<unknown> => client.request({ op: 'auth', user: USER, password: PASSWORD });
    await drive(auth, 40, 4);
    add('pool, 1 in flight', POOL_RUNS, await drive(auth, POOL_RUNS, 1), base);
    add('pool, 4 in flight (4 workers)', POOL_RUNS, await drive(auth, POOL_RUNS, 4), base);
    client.close();
  } finally {
    await daemon.stop();
  }
  console.log(`Samba AD DC on loopback in a private namespace; user ${USER}; the DC shares the machine's cores with the clients`);
  console.log(table(rows));
} finally {
  await dc.stop();
}
