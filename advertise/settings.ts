/**
 * The run-time settings an administrator can change: one table used for the command-line flags and
 * for the config file, so a key is checked the same way wherever it comes from. Flags win over the
 * file; the file is re-read on SIGHUP (that is how drain is switched without a restart).
 */
import { ConfigError } from '../shared/errors.ts';
import { configValue, flagValue, formatDuration, type ValueSpec } from '../shared/options.ts';
import { ADVERTISE } from '../shared/option-table.ts';

export interface Settings {
  /** No new sessions wanted here: the document says `draining`. */
  drain: boolean;
  /** Administrator weight, relative between servers (default 100). */
  weight: number;
  /** UDP queries per second allowed per source (IPv4 address or IPv6 /64); 0 turns the limit off. */
  rateLimit: number;
  /** Queries a source may send at once before the rate applies. */
  rateBurst: number;
  sampleIntervalMs: number;
  /** Open TCP connections, every source together (shared fairly between sources). */
  maxConnections: number;
  /** Open TCP connections of one source (IPv4 address or IPv6 /64); more are closed at once. */
  maxConnectionsPerSource: number;
  /** A TCP client has this long to take the document; then the connection is closed. */
  writeTimeoutMs: number;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  drain: ADVERTISE.drain.default,
  weight: ADVERTISE.weight.default,
  rateLimit: ADVERTISE.rateLimit.default,
  rateBurst: ADVERTISE.rateBurst.default,
  sampleIntervalMs: ADVERTISE.sampleIntervalMs.default,
  maxConnections: ADVERTISE.maxConnections.default,
  maxConnectionsPerSource: ADVERTISE.maxConnectionsPerSource.default,
  writeTimeoutMs: ADVERTISE.writeTimeoutMs.default,
});

/** A setting's row of the shared option table (flag, config-file key, range, unit), and its field here. */
type SettingSpec = ValueSpec & { key: keyof Settings; flag: string; configKey: string };

const row = (key: keyof Settings, spec: ValueSpec): SettingSpec => ({ ...spec, key, flag: spec.flag!, configKey: spec.configKey! });

export const SETTING_SPECS: readonly SettingSpec[] = (Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]).map((key) => row(key, ADVERTISE[key]));

/** The help text of a setting's flag: what it is, its unit, its default. */
export function settingHelp(spec: SettingSpec): string {
  if (spec.kind === 'boolean') return spec.what;
  const unit = spec.kind === 'duration' ? ` (a bare number is ${spec.bareUnit})` : spec.unit ? ` (${spec.unit})` : '';
  const shown = spec.kind === 'duration' ? formatDuration(DEFAULT_SETTINGS[spec.key] as number) : String(DEFAULT_SETTINGS[spec.key]);
  return `${spec.what}${unit}, default ${shown}`;
}

/** `key=value` pairs from the config file; an unknown key or bad value is a ConfigError naming it. */
export function settingsFromFile(pairs: ReadonlyMap<string, string>, source: string): Partial<Settings> {
  const out: Partial<Settings> = {};
  for (const [fileKey, raw] of pairs) {
    const spec = SETTING_SPECS.find((s) => s.configKey === fileKey);
    if (!spec) {
      const known = SETTING_SPECS.map((s) => s.configKey).join(', ');
      throw new ConfigError(fileKey, `${source}: unknown key "${fileKey}" (known keys: ${known})`);
    }
    (out as Record<string, unknown>)[spec.key] = configValue(spec, fileKey, raw, `${source}: ${fileKey}`);
  }
  return out;
}

/** The key commander stores a flag's value under: `--sample-interval` -> `sampleInterval`. */
export function flagAttribute(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Commander's option values (strings, or `true` for a boolean flag) to checked settings. */
export function settingsFromFlags(options: Record<string, unknown>): Partial<Settings> {
  const out: Partial<Settings> = {};
  for (const spec of SETTING_SPECS) {
    const raw = options[flagAttribute(spec.flag)];
    if (raw === undefined) continue;
    (out as Record<string, unknown>)[spec.key] = spec.kind === 'boolean' && typeof raw === 'boolean' ? raw : flagValue(spec, String(raw));
  }
  return out;
}

export function mergeSettings(file: Partial<Settings>, flags: Partial<Settings>): Settings {
  return { ...DEFAULT_SETTINGS, ...file, ...flags };
}
