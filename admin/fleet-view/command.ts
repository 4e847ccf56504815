/**
 * `ltsp-balance fleet`: which servers are up, how full each is, what is swapping or draining, and
 * where new logins go, from the same settings, lts.conf resolution and engine as get_hosts.
 * On a terminal a live view; `--once` one table; `--json` one JSON line per survey; `--listen` the
 * same live view as a web page (with `/metrics`).
 */
import { formatWarning, loadSettings } from '../../balance/settings.ts';
import { parseServerList, type ServerAddress } from '../../balance/servers.ts';
import { ADVERTISE_PORT } from '../../shared/wire/advertisement.ts';
import { UsageError } from '../../shared/errors.ts';
import { logInfo, logWarning } from '../../shared/log.ts';
import { localIdentity } from '../../ltsp/identity.ts';
import { FleetCollector, type FleetSnapshot } from './collect.ts';
import { renderTable } from './table.ts';
import { startLiveTerminal } from './terminal.ts';
import { startFleetWeb } from './web.ts';

export interface FleetCommandOptions {
  config?: string;
  servers?: string;
  intervalSec: number;
  deadlineMs: number;
  once: boolean;
  json: boolean;
  listen?: { host: string; port: number };
  allow: string[];
  showUsers: boolean;
  /** Stop after this many surveys (tests, scripts); 0 = until quit. */
  count: number;
}

function serversFrom(opts: FleetCommandOptions): { collector: FleetCollector } {
  const identity = localIdentity();
  const { settings, warnings } = loadSettings({ env: process.env, configPath: opts.config, mac: identity.mac, ip: identity.ip, hostname: identity.hostname });
  for (const w of warnings) logWarning(formatWarning(w));
  let servers: ServerAddress[] = settings.servers;
  if (opts.servers !== undefined) {
    servers = parseServerList(opts.servers, '--servers', (err) => {
      throw new UsageError(err.message);
    });
  }
  if (servers.length === 0 && settings.bootServer) servers = [{ host: settings.bootServer, port: ADVERTISE_PORT }];
  if (servers.length === 0) throw new UsageError('no servers: set LDM_BALANCE_SERVERS in lts.conf or give --servers');
  return { collector: new FleetCollector({ servers, settings, clientKey: identity.mac ?? identity.hostname, showUsers: opts.showUsers, deadlineMs: opts.deadlineMs }) };
}

export async function runFleetCommand(opts: FleetCommandOptions): Promise<number> {
  const { collector } = serversFrom(opts);
  const width = process.stdout.isTTY ? (process.stdout.columns ?? 80) : Number(process.env.COLUMNS) || 80;
  if (opts.once) {
    const snapshot = await collector.poll();
    process.stdout.write(opts.json ? `${JSON.stringify(snapshot)}\n` : `${renderTable(snapshot, width).join('\n')}\n`);
    return 0;
  }
  const web = opts.listen ? await startFleetWeb(collector, { ...opts.listen, allow: opts.allow }) : undefined;
  if (web) logInfo(`fleet view on http://${opts.listen!.host.includes(':') ? `[${opts.listen!.host}]` : opts.listen!.host}:${web.port}/`);
  const live = !opts.json && !web && process.stdout.isTTY && process.stdin.isTTY ? startLiveTerminal(process.stdin, process.stdout) : undefined;
  let stopping = false;
  const stop = (): void => {
    stopping = true;
    wake();
  };
  let wake: () => void = () => {};
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  void live?.quit.then(stop);
  try {
    for (let n = 0; !stopping && (opts.count === 0 || n < opts.count); n++) {
      const snapshot: FleetSnapshot = await collector.poll();
      if (live) live.render(snapshot);
      else if (opts.json) process.stdout.write(`${JSON.stringify(snapshot)}\n`);
      else if (!web) process.stdout.write(`${renderTable(snapshot, width).join('\n')}\n\n`);
      web?.broadcast(snapshot);
      if (opts.count !== 0 && n + 1 >= opts.count) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, opts.intervalSec * 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    live?.close();
    await web?.close();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return 0;
}
