/**
 * `npm run demo` (from the source tree only): a small fleet on loopback, no root needed.
 * Four advertise daemons (idle, busy, swapping, draining) and one address with none; get_hosts
 * with --explain for several algorithms; the greeter bridge's live snapshot (or its chooser on a
 * terminal); the winbind pool authenticating against its local-file backend. Everything it
 * starts is stopped on the way out, Ctrl-C included.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleQueues } from '../testing/fleet/cleanup.ts';
import { runCommand } from '../admin/run-command.ts';
import { Children } from './children.ts';
import { bridgeSnapshot, poolSession, startBridge, startPool } from './extras.ts';
import { cleanEnv, command, projectRoot } from './project.ts';
import { startServers } from './servers.ts';

export interface DemoOptions {
  port: number;
  /** Run the interactive chooser when stdin and stdout are a terminal. */
  chooser: boolean;
  out: NodeJS.WritableStream;
}

export const DEMO_ALGORITHMS = ['two-choices', 'best', 'weighted', 'machash'] as const;
const CLIENT_MAC = '02:00:00:00:00:01';

export async function runDemo(options: DemoOptions): Promise<number> {
  const started = performance.now();
  const out = (text: string): void => void options.out.write(text);
  const section = (title: string): void => out(`\n== ${title}\n`);
  const root = projectRoot();
  removeStaleQueues(); // of demo runs that were SIGKILLed
  const children = new Children(root);
  const tmp = mkdtempSync(join(tmpdir(), 'ltsp-balance-demo-'));
  children.removeOnExit(tmp);
  writeFileSync(join(tmp, 'lts.conf'), '# empty: the demo passes everything on the command line\n');
  writeFileSync(join(tmp, 'utmp'), '');
  try {
    const pool = await startPool(root, children, tmp);
    const fleetReady = startServers(root, children, tmp, options.port);
    const { servers, list } = await fleetReady;
    const b = startBridge(root, children, tmp, list);

    section(`a loopback fleet: advertise daemons on port ${options.port} (UDP and TCP)`);
    for (const s of servers) out(`  ${s.address.padEnd(10)} ${s.role.padEnd(26)} ${s.process ? `pid ${s.process.pid}` : '-'}\n`);

    const getHosts = (...args: string[]) =>
      runCommand(command(root, 'get_hosts', '--servers', list, '--config', join(tmp, 'lts.conf'), '--mac', CLIENT_MAC, '--seed', '7', ...args), { cwd: root, env: cleanEnv(), timeoutMs: 30_000 });
    section('get_hosts as LDM runs it: the chosen host first, then the menu');
    out((await getHosts()).stdout);
    for (const algorithm of DEMO_ALGORITHMS) {
      section(`get_hosts --explain --algorithm ${algorithm}`);
      const r = await getHosts('--explain', '--algorithm', algorithm);
      out(r.stdout || r.stderr);
    }

    if (options.chooser && process.stdin.isTTY && process.stdout.isTTY && b.serve.running) {
      section('the greeter bridge: the text chooser (Up/Down, Enter to choose, q to skip)');
      await new Promise<void>((resolve) => {
        const [exe, ...args] = command(root, 'ltsp-greeter-bridge', 'choose', '--timeout', '10', ...b.queueFlags);
        const c = spawn(exe!, args, { cwd: root, env: cleanEnv(), stdio: 'inherit' });
        c.on('close', () => resolve());
      });
      await new Promise((r) => setTimeout(r, 300)); // the bridge writes the accepted choice
      try {
        // Nothing reaches LDM here: with LDM_GREETER=/usr/share/ltsp/ltsp-balance-greeter, the
        // greeter wrapper reads this file when LDM asks for the host, and answers it if still usable.
        out(`  the bridge wrote the choice file for the greeter wrapper: ${readFileSync(b.choiceFile, 'utf8').trim()}\n`);
      } catch {
        out('  (no choice made)\n');
      }
    } else {
      section('the greeter bridge: one live snapshot, as the greeter receives it over its message queue');
      out(await bridgeSnapshot(root, b));
    }

    section('the winbind pool on its embedded local-file backend');
    if (pool.serve.running) {
      await pool.serve.waitForOutput(/listening|serving|ready/i, 15_000).catch(() => undefined);
      out(await poolSession(root, pool.socket));
    } else {
      out(`  (not available here: ${pool.serve.tail(2)})\n`);
    }
  } finally {
    await children.stopAll();
  }
  out(`\n== done in ${((performance.now() - started) / 1000).toFixed(1)} s; every process stopped (${children.running} running)\n`);
  return 0;
}
