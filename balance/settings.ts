/**
 * get_hosts settings: each key from the environment first (LTSP's ltsp_config has already exported
 * lts.conf there before LDM runs), else from lts.conf resolved as getltscfg resolves it
 * (ltsp/ltsconf.ts). A value that is present but invalid is reported once, naming the key, the value
 * and where it came from, and the safe default is used instead: get_hosts must still print a host.
 * lts.conf's own problems (syntax, includes) are reported the same way and never stop anything.
 */
import { formatIssue, readLtsConf, type LtsConf } from '../ltsp/ltsconf.ts';
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
import { GET_HOSTS } from '../shared/option-table.ts';
import { parseServerList, type ServerAddress } from './servers.ts';

export { LOADBALANCER_PORT, type LoadBalancerAddress } from './setting-values.ts';

export const ALGORITHMS = ['two-choices', 'deficit', 'best', 'weighted', 'machash', 'random', 'fixed', 'loadbalancer'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
export type LocalAlgorithm = Exclude<Algorithm, 'loadbalancer'>;

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
  // The bridge polls every 10 s (greeter-bridge/config.ts): its cache stays usable between two polls.
  cacheMaxAgeMs: 15_000,
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
  /** An lts.conf to read instead of /etc/lts.conf (`--config FILE`). */
  configPath?: string | undefined;
  mac?: string | undefined;
  ip?: string | undefined;
  hostname?: string | undefined;
  /** lts.conf already read (and its issues reported) by the caller, as the bridge does for all its keys; null: none. */
  ltsConf?: LtsConf | null;
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
  // lts.conf's own problems are reported by whoever read it: here, or the caller that passed it in.
  const conf = opts.ltsConf !== undefined ? opts.ltsConf : readLtsConf({ path: opts.configPath, client: opts });
  if (opts.ltsConf === undefined) for (const issue of conf?.issues ?? []) warnings.push({ key: '', value: '', source: 'lts.conf', message: formatIssue(issue) });
  const lookup = settingLookup(opts.env, conf);
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
      warnings.push({ ...servers, key: 'LDM_BALANCE_SERVERS', value: err.entry, message: err.pastCap ? err.reason : `${err.reason}; entry skipped` }),
    );
  }
  const boot = lookup('SERVER')?.value.trim();
  if (boot) {
    const parsed = parseServerList(boot.split(/\s+/)[0]!, 'SERVER', () => undefined);
    if (parsed[0]) settings.bootServer = parsed[0].host;
  }
  return { settings, warnings };
}

export interface FoundSetting {
  value: string;
  /** "environment", or the lts.conf file the value came from. */
  source: string;
  line?: number;
}

/**
 * A key from the environment, else from lts.conf. An empty value counts as unset in both, as a
 * shell's `[ -n "$KEY" ]` would (getltscfg prints `KEY=""` for `KEY = ""`).
 */
export function settingLookup(env: NodeJS.ProcessEnv, conf: LtsConf | null | undefined): (key: string) => FoundSetting | undefined {
  return (key) => {
    const fromEnv = env[key];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, source: 'environment' };
    const entry = conf?.values.get(key);
    return entry && entry.value !== '' ? { value: entry.value, source: entry.at.file, line: entry.at.line } : undefined;
  };
}

/** One line for stderr: where, which key, which value, what is wrong, what is used instead. */
export function formatWarning(w: SettingWarning): string {
  if (w.source === 'lts.conf' && !w.key) return w.message; // already "file line N: message"
  const where = w.source === 'environment' ? 'environment' : `${w.source}${w.line ? ` line ${w.line}` : ''}`;
  // A value from a garbage file is shown escaped: never raw bytes, never a character the terminal interprets.
  const value = JSON.stringify(w.value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return w.key ? `${where}: ${w.key}=${value} ${w.message}` : `${where}: ${w.message}`;
}
