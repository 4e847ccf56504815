/**
 * The run-time settings an administrator can change: one table used for the command-line flags and
 * for the config file, so a key is checked the same way wherever it comes from. Flags win over the
 * file; the file is re-read on SIGHUP (that is how drain is switched without a restart).
 */
import { ConfigError, UsageError } from '../shared/errors.ts';

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
  /** Open TCP connections; more are closed at once and counted as refused. */
  maxConnections: number;
  /** A TCP client has this long to take the document; then the connection is closed. */
  writeTimeoutMs: number;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  drain: false,
  weight: 100,
  rateLimit: 5,
  rateBurst: 20,
  sampleIntervalMs: 1000,
  maxConnections: 1024,
  writeTimeoutMs: 5000,
});

interface SettingSpec {
  key: keyof Settings;
  /** Name in the config file. */
  fileKey: string;
  /** Long command-line flag. */
  flag: string;
  kind: 'boolean' | 'integer';
  min?: number;
  max?: number;
  help: string;
}

export const SETTING_SPECS: readonly SettingSpec[] = [
  { key: 'drain', fileKey: 'drain', flag: '--drain', kind: 'boolean', help: 'advertise state "draining": no new sessions wanted' },
  { key: 'weight', fileKey: 'weight', flag: '--weight', kind: 'integer', min: 0, max: 10_000, help: 'administrator weight, relative (default 100)' },
  { key: 'rateLimit', fileKey: 'rate_limit', flag: '--rate-limit', kind: 'integer', min: 0, max: 1_000_000, help: 'UDP queries/s per source, 0 = no limit (default 5)' },
  { key: 'rateBurst', fileKey: 'rate_burst', flag: '--rate-burst', kind: 'integer', min: 1, max: 1_000_000, help: 'UDP burst per source (default 20)' },
  { key: 'sampleIntervalMs', fileKey: 'sample_interval_ms', flag: '--sample-interval', kind: 'integer', min: 100, max: 60_000, help: 'ms between /proc samples (default 1000)' },
  { key: 'maxConnections', fileKey: 'max_connections', flag: '--max-connections', kind: 'integer', min: 1, max: 100_000, help: 'open TCP connections at most (default 1024)' },
  { key: 'writeTimeoutMs', fileKey: 'write_timeout_ms', flag: '--write-timeout', kind: 'integer', min: 100, max: 600_000, help: 'ms a TCP client gets to read the document (default 5000)' },
];

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/** Converts one value; the returned string is the problem, for the caller to wrap in its error type. */
function convert(spec: SettingSpec, raw: string): boolean | number | string {
  if (spec.kind === 'boolean') {
    const v = raw.toLowerCase();
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
    return `must be true or false (or yes/no, on/off, 1/0), got ${JSON.stringify(raw.slice(0, 40))}`;
  }
  if (!/^\d{1,9}$/.test(raw)) return `must be a whole number, got ${JSON.stringify(raw.slice(0, 40))}`;
  const n = Number(raw);
  if (n < spec.min! || n > spec.max!) return `must be between ${spec.min} and ${spec.max}, got ${n}`;
  return n;
}

/** `key=value` pairs from the config file; an unknown key or bad value is a ConfigError naming it. */
export function settingsFromFile(pairs: ReadonlyMap<string, string>, source: string): Partial<Settings> {
  const out: Partial<Settings> = {};
  for (const [fileKey, raw] of pairs) {
    const spec = SETTING_SPECS.find((s) => s.fileKey === fileKey);
    if (!spec) {
      const known = SETTING_SPECS.map((s) => s.fileKey).join(', ');
      throw new ConfigError(fileKey, `${source}: unknown key "${fileKey}" (known keys: ${known})`);
    }
    const v = convert(spec, raw);
    if (typeof v === 'string') throw new ConfigError(fileKey, `${source}: ${fileKey} ${v}`);
    (out as Record<string, unknown>)[spec.key] = v;
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
    const v = spec.kind === 'boolean' && typeof raw === 'boolean' ? raw : convert(spec, String(raw));
    if (typeof v === 'string') throw new UsageError(`${spec.flag} ${v}`);
    (out as Record<string, unknown>)[spec.key] = v;
  }
  return out;
}

export function mergeSettings(file: Partial<Settings>, flags: Partial<Settings>): Settings {
  return { ...DEFAULT_SETTINGS, ...file, ...flags };
}
