/**
 * How every setting value is checked, whichever way it arrives (flag, environment, lts.conf key,
 * config-file key): one spec per value (shared/option-table.ts) and one converter per kind, so a
 * range, a unit and the message that names them are written once. Converters return the value or
 * a phrase saying what is wrong; `flagValue` and `configValue` turn the phrase into the error the
 * source calls for (ERR_USAGE for a flag, ERR_CONFIG for a file or the environment).
 *
 * Numbers are plain decimal (no sign, exponent, hex, `Infinity`), at most 9 digits before the point:
 * whatever the text, conversion never yields NaN or a float the range check would miss.
 */
import { ConfigError, UsageError } from './errors.ts';

export type Parsed<T> = { ok: T } | { error: string };
const fail = (error: string): { error: string } => ({ error });
const show = (raw: string): string => JSON.stringify(raw.slice(0, 40));

/** What a value is and where it may come from. Every name is optional: a value has the sources it has. */
export interface ValueSpec {
  kind: 'integer' | 'duration' | 'boolean' | 'port';
  /** What it is, for the help text and messages ("the overall deadline"). */
  what: string;
  flag?: string;
  env?: string;
  ltsConf?: string;
  configKey?: string;
  /** Inclusive range; milliseconds for a duration. */
  min?: number;
  max?: number;
  default?: number | boolean;
  /**
   * A duration's unit when the text carries none: the unit the flag or key has always used, named in
   * its help (`--timeout-ms`, `sample_interval_ms`). `300ms`, `2s`, `1.5m`, `1h` work everywhere.
   */
  bareUnit?: 'ms' | 's';
  /** A unit for an integer, for messages and help: "bytes", "workers". */
  unit?: string;
}

/**
 * The one boolean vocabulary. lts.conf keeps LTSP's own words (ltsp-contracts.md: `Y y True true`,
 * `N n False false`), because its values are shared with LTSP's scripts. A config file of ours
 * accepts those same words and, as hand-written config files usually do, `yes/no`, `on/off`, `1/0`
 * in any case.
 */
export const LTSP_TRUE = ['Y', 'y', 'True', 'true'] as const;
export const LTSP_FALSE = ['N', 'n', 'False', 'false'] as const;
const EXTRA_TRUE = ['yes', 'on', '1'];
const EXTRA_FALSE = ['no', 'off', '0'];

export function parseBoolean(raw: string, vocabulary: 'ltsp' | 'config-file'): Parsed<boolean> {
  if ((LTSP_TRUE as readonly string[]).includes(raw)) return { ok: true };
  if ((LTSP_FALSE as readonly string[]).includes(raw)) return { ok: false };
  if (vocabulary === 'config-file') {
    const v = raw.toLowerCase();
    if (v === 'true' || EXTRA_TRUE.includes(v)) return { ok: true };
    if (v === 'false' || EXTRA_FALSE.includes(v)) return { ok: false };
    return fail(`must be true or false (or yes/no, on/off, 1/0, Y/N), got ${show(raw)}`);
  }
  return fail(`is not a boolean (Y y True true / N n False false), got ${show(raw)}`);
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** 1500 -> "1.5s", 300 -> "300ms", 86400000 -> "24h": the way ranges are shown in messages. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && Number.isInteger((ms / size) * 1000)) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** `300ms`, `2s`, `0.5s`, `5m`, `1h`, or a bare number in `bareUnit`; milliseconds, whole. */
export function parseDuration(raw: string, spec: Pick<ValueSpec, 'min' | 'max' | 'bareUnit'>): Parsed<number> {
  const m = /^(\d{1,9}(?:\.\d{1,3})?)(ms|s|m|h)?$/.exec(raw.trim());
  const range = `from ${formatDuration(spec.min ?? 0)} to ${formatDuration(spec.max ?? Number.MAX_SAFE_INTEGER)}`;
  const example = `e.g. 300ms, 2s${spec.bareUnit ? `; a bare number is ${spec.bareUnit === 'ms' ? 'milliseconds' : 'seconds'}` : ''}`;
  if (!m || (m[2] === undefined && spec.bareUnit === undefined)) return fail(`must be a duration ${range} (${example}), got ${show(raw)}`);
  const ms = Number(m[1]) * UNIT_MS[(m[2] ?? spec.bareUnit) as keyof typeof UNIT_MS];
  const whole = Math.round(ms);
  if (Math.abs(ms - whole) > 1e-6) return fail(`must be a whole number of milliseconds, got ${show(raw)}`);
  if ((spec.min !== undefined && whole < spec.min) || (spec.max !== undefined && whole > spec.max)) return fail(`must be a duration ${range}, got ${show(raw)}`);
  return { ok: whole };
}

export function parseInteger(raw: string, spec: Pick<ValueSpec, 'min' | 'max' | 'unit'>): Parsed<number> {
  const min = spec.min ?? 0;
  const max = spec.max ?? 999_999_999;
  const unit = spec.unit ? ` ${spec.unit}` : '';
  if (!/^\d{1,10}$/.test(raw.trim())) return fail(`must be a whole number from ${min} to ${max}${unit}, got ${show(raw)}`);
  const n = Number(raw.trim());
  if (n < min || n > max) return fail(`must be from ${min} to ${max}${unit}, got ${n}`);
  return { ok: n };
}

/** Converts `raw` by the spec's kind; `vocabulary` decides the boolean words (see parseBoolean). */
export function convertValue(spec: ValueSpec, raw: string, vocabulary: 'ltsp' | 'config-file' = 'config-file'): Parsed<number | boolean> {
  switch (spec.kind) {
    case 'boolean':
      return parseBoolean(raw, vocabulary);
    case 'duration':
      return parseDuration(raw, spec);
    case 'port':
      return parseInteger(raw, { min: spec.min ?? 1, max: spec.max ?? 65_535 });
    case 'integer':
      return parseInteger(raw, spec);
  }
}

/** A flag's value, or a UsageError naming the flag: `--timeout must be a duration from 10ms to 10s ..., got "x"`. */
export function flagValue(spec: ValueSpec & { kind: 'integer' | 'duration' | 'port' }, raw: string, flag?: string): number;
export function flagValue(spec: ValueSpec, raw: string, flag?: string): number | boolean;
export function flagValue(spec: ValueSpec, raw: string, flag = spec.flag ?? spec.what): number | boolean {
  const r = convertValue(spec, raw);
  if ('error' in r) throw new UsageError(`${flag} ${r.error}`);
  return r.ok;
}

/**
 * A file's or the environment's value, or a ConfigError for `key` whose message starts with `label`
 * (the key and where it came from: `/etc/ltsp/advertise.conf: weight`, `KEY (lts.conf line 3)`).
 */
export function configValue(spec: ValueSpec, key: string, raw: string, label: string, vocabulary: 'ltsp' | 'config-file' = 'config-file'): number | boolean {
  const r = convertValue(spec, raw, vocabulary);
  if ('error' in r) throw new ConfigError(key, `${label} ${r.error}`);
  return r.ok;
}

/** The value a commander option parser returns; errors become ERR_USAGE through runProgram. */
export function optionParser(spec: ValueSpec & { kind: 'integer' | 'duration' | 'port' }, flag = spec.flag): (raw: string) => number {
  return (raw) => flagValue(spec, raw, flag);
}
