/**
 * get_hosts settings: each key from the environment first (LTSP's ltsp_config has already exported
 * lts.conf there before LDM runs), else from lts.conf read with the LTSP 5 rules (ltsconf.ts). A value
 * that is present but invalid is reported once, naming the key, the value and where it came from, and
 * the safe default is used instead: get_hosts must still print a host.
 */
import { MAX_LTS_CONF_BYTES, parseLtsConf, resolveForClient, type ConfEntry } from '../ltsp/ltsconf.ts';
import {
  parseBoolean,
  parseChoice,
  parseLoadBalancer,
  parseNumber,
  parsePath,
  parseWeights,
  type LoadBalancerAddress,
  type Parsed,
} from './setting-values.ts';
import { readFileCapped } from '../shared/fs/read-capped.ts';
import { GET_HOSTS } from '../shared/option-table.ts';
import { parseServerList, type ServerAddress } from './servers.ts';

export { LOADBALANCER_PORT, type LoadBalancerAddress } from './setting-values.ts';

export const ALGORITHMS = ['two-choices', 'deficit', 'best', 'weighted', 'machash', 'random', 'fixed', 'loadbalancer'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
export type LocalAlgorithm = Exclude<Algorithm, 'loadbalancer'>;

/** Where LTSP 5 clients find lts.conf (the chroot's /etc, filled at boot). */
export const DEFAULT_LTS_CONF_PATHS = ['/etc/lts.conf'];

export interface Settings {
  /** LDM_BALANCE_SERVERS; empty means discover (or fall back to SERVER). */
  servers: ServerAddress[];
  /** LTSP's SERVER (the boot server): the last resort when nothing else is configured or found. */
  bootServer?: string;
  algorithm: Algorithm;
  /** What `loadbalancer` falls back to when the balancer does not answer in time. */
  fallbackAlgorithm: LocalAlgorithm;
  /** Load average per CPU above which a server is Busy; 0 turns the filter off. */
  maxLoadPerCpu: number;
  /** Round-trip time above which a server is Busy; 0 turns the filter off. */
  maxRttMs: number;
  skipSwapping: boolean;
  /** The one overall deadline for querying, in ms. */
  timeoutMs: number;
  xdmcp: boolean;
  /** Client-side weight per host (overrides what the server advertises). */
  weights: Map<string, number>;
  /** A server whose advertise daemon is younger than this gets a proportional share; 0 = off. */
  slowStartSec: number;
  /** machash: no server takes more than (1 + e) times the average sessions. */
  boundedLoadEpsilon: number;
  loginCheck: boolean;
  loginPort: number;
  loadBalancer?: LoadBalancerAddress;
  cachePath: string;
  /** 0 = never use the cache. */
  cacheMaxAgeMs: number;
  /** Broadcast for servers when LDM_BALANCE_SERVERS is empty. */
  discover: boolean;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  servers: [],
  algorithm: 'two-choices',
  fallbackAlgorithm: 'two-choices',
  maxLoadPerCpu: 2,
  maxRttMs: 100,
  skipSwapping: true,
  timeoutMs: GET_HOSTS.timeout.default,
  xdmcp: false,
  weights: new Map(),
  slowStartSec: 120,
  boundedLoadEpsilon: 0.25,
  loginCheck: false,
  loginPort: 22,
  cachePath: '/run/ltsp-balance/survey.json',
  cacheMaxAgeMs: 5000,
  discover: true,
} satisfies Settings);

export interface SettingWarning {
  key: string;
  value: string;
  /** "environment", or the lts.conf path. */
  source: string;
  line?: number;
  message: string;
}

export interface LoadSettingsOptions {
  env: NodeJS.ProcessEnv;
  /** An lts.conf to read instead of the default paths (`--config FILE`). */
  configPath?: string;
  mac?: string;
  ip?: string;
  hostname?: string;
}

interface KeySpec<K extends keyof Settings = keyof Settings> {
  key: string;
  field: K;
  parse: (v: string) => Parsed<Settings[K]>;
}
const spec = <K extends keyof Settings>(key: string, field: K, parse: (v: string) => Parsed<Settings[K]>): KeySpec =>
  ({ key, field, parse }) as unknown as KeySpec;

/** Every key read, in the order they are checked (a later key for the same field wins). */
export const SETTING_KEYS: readonly KeySpec[] = [
  spec('LDM_BALANCE_ALGORITHM', 'algorithm', parseChoice(ALGORITHMS)),
  spec('LDM_BALANCE_FALLBACK_ALGORITHM', 'fallbackAlgorithm', parseChoice(ALGORITHMS.filter((a): a is LocalAlgorithm => a !== 'loadbalancer'))),
  spec('LDM_BALANCE_MAX_LOAD', 'maxLoadPerCpu', parseNumber(0, 1000)),
  spec('LDM_BALANCE_MAX_RTT_MS', 'maxRttMs', parseNumber(0, 60_000, true)),
  spec('LDM_BALANCE_SKIP_SWAPPING', 'skipSwapping', parseBoolean),
  spec('LDM_BALANCE_TIMEOUT_MS', 'timeoutMs', parseNumber(GET_HOSTS.timeout.min, GET_HOSTS.timeout.max, true)),
  spec('LDM_BALANCE_XDMCP', 'xdmcp', parseBoolean),
  spec('LDM_BALANCE_WEIGHTS', 'weights', parseWeights),
  spec('LDM_BALANCE_SLOW_START_S', 'slowStartSec', parseNumber(0, 86_400, true)),
  spec('LDM_BALANCE_LOAD_BOUND', 'boundedLoadEpsilon', parseNumber(0, 10)),
  spec('LDM_BALANCE_LOGIN_CHECK', 'loginCheck', parseBoolean),
  // LDM's own ssh port key; ours, checked next, overrides it.
  spec('SSH_OVERRIDE_PORT', 'loginPort', parseNumber(1, 65_535, true)),
  spec('LDM_BALANCE_LOGIN_PORT', 'loginPort', parseNumber(1, 65_535, true)),
  spec('LDM_BALANCE_LOADBALANCER', 'loadBalancer', parseLoadBalancer),
  spec('LDM_BALANCE_CACHE', 'cachePath', parsePath),
  spec('LDM_BALANCE_CACHE_MAX_AGE_MS', 'cacheMaxAgeMs', parseNumber(0, 3_600_000, true)),
  spec('LDM_BALANCE_DISCOVER', 'discover', parseBoolean),
];

function describeValue(v: unknown): string {
  if (v === undefined) return 'none';
  if (typeof v === 'boolean') return v ? 'Y' : 'N';
  if (v instanceof Map) return v.size === 0 ? 'none' : [...v].map(([h, w]) => `${h}=${w}`).join(' ');
  return String(v);
}

export function loadSettings(opts: LoadSettingsOptions): { settings: Settings; warnings: SettingWarning[] } {
  const settings: Settings = { ...DEFAULT_SETTINGS, weights: new Map() };
  const warnings: SettingWarning[] = [];
  const conf = readConf(opts, warnings);
  const lookup = (key: string): { value: string; source: string; line?: number } | undefined => {
    const fromEnv = opts.env[key];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: 'environment' };
    const entry: ConfEntry | undefined = conf?.entries.get(key);
    return entry && conf ? { value: entry.value, source: conf.path, line: entry.line } : undefined;
  };
  for (const { key, field, parse } of SETTING_KEYS) {
    const found = lookup(key);
    if (!found) continue;
    const value = found.value.trim();
    const r = parse(value);
    if ('ok' in r) (settings as unknown as Record<string, unknown>)[field] = r.ok;
    else warnings.push({ ...found, key, value, message: `${r.error}; using ${describeValue(settings[field])}` });
  }
  const servers = lookup('LDM_BALANCE_SERVERS');
  if (servers) {
    settings.servers = parseServerList(servers.value, 'LDM_BALANCE_SERVERS', (err) =>
      warnings.push({ ...servers, key: 'LDM_BALANCE_SERVERS', value: err.entry, message: `${err.reason}; entry skipped` }),
    );
  }
  const boot = lookup('SERVER')?.value.trim();
  if (boot) {
    const parsed = parseServerList(boot.split(/\s+/)[0]!, 'SERVER', () => undefined);
    if (parsed[0]) settings.bootServer = parsed[0].host;
  }
  return { settings, warnings };
}

function readConf(opts: LoadSettingsOptions, warnings: SettingWarning[]): { path: string; entries: Map<string, ConfEntry> } | undefined {
  const paths = opts.configPath ? [opts.configPath] : DEFAULT_LTS_CONF_PATHS;
  for (const path of paths) {
    let bytes: Buffer;
    try {
      bytes = readFileCapped(path, MAX_LTS_CONF_BYTES);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!opts.configPath && code === 'ENOENT') continue;
      warnings.push({ key: '', value: path, source: path, message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    const conf = parseLtsConf(bytes);
    const resolved = resolveForClient(conf, { hostname: opts.hostname, ip: opts.ip, mac: opts.mac });
    for (const issue of [...conf.issues, ...resolved.issues]) {
      warnings.push({ key: '', value: '', source: path, line: issue.line, message: issue.message });
    }
    return { path, entries: resolved.entries };
  }
  return undefined;
}

/** One line for stderr: where, which key, which value, what is wrong, what is used instead. */
export function formatWarning(w: SettingWarning): string {
  const where = w.source === 'environment' ? 'environment' : `${w.source}${w.line ? ` line ${w.line}` : ''}`;
  return w.key ? `${where}: ${w.key}=${JSON.stringify(w.value)} ${w.message}` : `${where}: ${w.message}`;
}
