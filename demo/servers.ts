/**
 * The demo's application servers: real advertise daemons on loopback addresses (the whole of
 * 127.0.0.0/8 reaches `lo` on Linux, so no root and no setup), each reading a different /proc
 * fixture, plus one address where nothing runs.
 */
import { join } from 'node:path';
import type { ManagedProcess } from '../testing/fleet/process.ts';
import type { Children } from './children.ts';
import { cleanEnv, command } from './project.ts';

export interface DemoServer {
  address: string;
  role: string;
  /** Name under testing/fixtures/proc, or "swapping-live" for the swap driver's directory; none = stopped. */
  fixture?: string;
  extraFlags?: string[];
  process?: ManagedProcess;
}

export const DEMO_SERVERS: readonly DemoServer[] = [
  { address: '127.0.0.2', role: 'idle', fixture: 'idle' },
  { address: '127.0.0.3', role: 'busy', fixture: 'busy' },
  { address: '127.0.0.4', role: 'swapping', fixture: 'swapping-live' },
  { address: '127.0.0.5', role: 'draining (idle, --drain)', fixture: 'idle', extraFlags: ['--drain'] },
  { address: '127.0.0.6', role: 'stopped (no daemon)' },
];

export interface StartedServers {
  servers: DemoServer[];
  /** "127.0.0.2:PORT,..." for --servers. */
  list: string;
}

/** Starts the swap driver and every daemon at once, then waits until each one listens. */
export async function startServers(root: string, children: Children, tmp: string, port: number): Promise<StartedServers> {
  const driver = join(root, 'testing/fixtures/proc/swap-driver.ts');
  const swap = children.start('swap driver', [process.execPath, '--import', 'tsx', driver, '500', 'swapping'], cleanEnv());
  const swapDir = (await swap.waitForOutput(/^(\/\S+)$/m, 20_000))[1]!;
  const servers = DEMO_SERVERS.map((s) => ({ ...s }));
  for (const s of servers) {
    if (!s.fixture) continue;
    const procfs = s.fixture === 'swapping-live' ? swapDir : join(root, 'testing/fixtures/proc', s.fixture);
    s.process = children.start(
      `advertise ${s.address}`,
      command(root, 'ltsp-server-advertise', '--address', s.address, '--port', String(port), '--procfs', procfs,
        '--utmp', join(tmp, 'utmp'), '--status-socket', join(tmp, `advertise-${s.address}.sock`),
        '--hostname', `demo-${s.role.split(' ')[0]}`, '--sample-interval', '250', ...(s.extraFlags ?? [])),
      cleanEnv(),
    );
  }
  await Promise.all(servers.map((s) => s.process?.waitForOutput(/listening on/, 30_000)));
  return { servers, list: servers.map((s) => `${s.address}:${port}`).join(',') };
}
