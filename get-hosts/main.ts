/**
 * get_hosts from settings to stdout: load settings, run the one decision pipeline
 * (balance/gather.ts: cache or survey or discovery, login checks, central balancer, decide), print.
 * Whatever goes wrong after the server list is known, LDM still gets a host list on stdout.
 */
import { UsageError } from '../shared/errors.ts';
import { EXIT } from '../shared/exit-codes.ts';
import { flagValue } from '../shared/options.ts';
import { GET_HOSTS } from '../shared/option-table.ts';
import { logError, logWarning } from '../shared/log.ts';
import { NoServersError } from '../balance/errors.ts';
import { fallbackHosts, gatherDecision } from '../balance/gather.ts';
import { explanation, formatExplanation, type ExplainContext } from './explain.ts';
import { BOOT_SERVER_NAME, hostList } from './host-list.ts';
import { localIdentity, normalizeMac } from '../ltsp/identity.ts';
import { seededRandom } from '../balance/decide/random.ts';
import { parseServerList, type ServerAddress } from '../balance/servers.ts';
import { ALGORITHMS, formatWarning, loadSettings, type Algorithm } from '../balance/settings.ts';

/**
 * get_hosts' rows of the shared exit-code table (LDM ignores the status; scripts and the README use it):
 * ok, usage, internal (after the server list was known: the configured list was printed),
 * unavailable (no server answered: the configured list was printed), notFound (no server configured
 * or discovered: nothing printed, ERR_NO_SERVERS), partial (hosts printed, but an invalid setting was
 * replaced by its default). unavailable wins over partial.
 */

export interface GetHostsArgs {
  config?: string;
  servers?: string;
  algorithm?: string;
  mac?: string;
  timeout?: string;
  seed?: string;
  explain?: boolean;
  json?: boolean;
}

export interface GetHostsIo {
  env: NodeJS.ProcessEnv;
  write: (text: string) => void;
}

export async function runGetHosts(args: GetHostsArgs, io: GetHostsIo): Promise<number> {
  const started = performance.now();
  const overrides = checkArgs(args);
  const identity = localIdentity();
  const mac = overrides.mac ?? identity.mac;
  const { settings, warnings } = loadSettings({ env: io.env, configPath: args.config, mac, ip: identity.ip, hostname: identity.hostname });
  const warningLines = warnings.map(formatWarning);
  for (const line of warningLines) logWarning(line);
  if (overrides.servers) settings.servers = overrides.servers;
  if (overrides.algorithm) settings.algorithm = overrides.algorithm;
  if (overrides.timeoutMs) settings.timeoutMs = overrides.timeoutMs;

  // The boot server, when nothing is configured, as LTSP names it (see host-list.ts).
  const fallback = settings.servers.length > 0 ? fallbackHosts(settings) : fallbackHosts(settings).map(() => BOOT_SERVER_NAME);
  try {
    // Always seeded, and the seed is in --json: `get_hosts --replay` then reproduces this decision exactly.
    const seed = overrides.seed ?? Math.floor(Math.random() * 0x1_0000_0000);
    const { decision, source, loadBalancer } = await gatherDecision(settings, {
      clientKey: mac ?? identity.hostname,
      newRandom: () => seededRandom(seed),
      useCache: true,
      startedAt: started,
      onCacheRejected: (err) => logWarning(`survey cache not used: ${err.message}`),
    });
    const hosts = hostList(decision, settings);
    const ctx: ExplainContext = { source, deadlineMs: settings.timeoutMs, elapsedMs: performance.now() - started, client: mac ?? identity.hostname, hosts, warnings: warningLines, seed, settings, loadBalancer };
    // One line: a file of --json lines is what --replay reads.
    if (args.json) io.write(`${JSON.stringify(explanation(decision, ctx))}\n`);
    else if (args.explain) io.write(formatExplanation(decision, ctx));
    else io.write(`${hosts.join(' ')}\n`);
    if (decision.fallback === 'none-answered') return EXIT.unavailable;
    return warnings.length > 0 ? EXIT.partial : EXIT.ok;
  } catch (err) {
    if (err instanceof NoServersError || fallback.length === 0) throw err;
    logError(`${(err as Error).message}: printing the configured list`);
    io.write(`${(settings.xdmcp ? fallback.slice(0, 1) : fallback).join(' ')}\n`);
    return EXIT.internal;
  }
}

interface Overrides {
  servers?: ServerAddress[];
  algorithm?: Algorithm;
  mac?: string;
  timeoutMs?: number;
  seed?: number;
}

function checkArgs(args: GetHostsArgs): Overrides {
  const out: Overrides = {};
  if (args.servers !== undefined) {
    out.servers = parseServerList(args.servers, '--servers', (err) => {
      // Past the 256-server cap: the same warning as from lts.conf, not a usage error (servers.ts).
      if (err.pastCap) logWarning(err.message);
      else throw new UsageError(err.message);
    });
    if (out.servers.length === 0) throw new UsageError('--servers: the list is empty');
  }
  if (args.algorithm !== undefined) {
    if (!(ALGORITHMS as readonly string[]).includes(args.algorithm)) {
      throw new UsageError(`--algorithm ${JSON.stringify(args.algorithm)} is not one of ${ALGORITHMS.join(', ')}`);
    }
    out.algorithm = args.algorithm as Algorithm;
  }
  if (args.mac !== undefined) {
    out.mac = normalizeMac(args.mac);
    if (!out.mac) throw new UsageError(`--mac ${JSON.stringify(args.mac)} is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  }
  if (args.timeout !== undefined) out.timeoutMs = flagValue(GET_HOSTS.timeout, args.timeout);
  if (args.seed !== undefined) out.seed = flagValue(GET_HOSTS.seed, args.seed);
  return out;
}
