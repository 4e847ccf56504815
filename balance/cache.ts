/**
 * The survey cache: the greeter bridge surveys the servers anyway while the greeter is shown, and
 * writes what it saw here; get_hosts uses it when it is fresh instead of querying again. The file is
 * written atomically (shared/fs/atomic-write.ts: temp file, fsync, rename) and read like network input: size-capped, every field
 * checked, each advertisement stored as its wire document and read back through the strict wire
 * parser. Anything stale, missing or malformed reads as "no cache".
 *
 * This module is the reading side (get_hosts); cache-write.ts writes (the greeter bridge), so that the
 * client's bundle carries no XML builder.
 */
import { parseAdvertisement } from '../shared/wire/parse.ts';
import { CacheError } from './errors.ts';
import { readFileCapped } from '../shared/fs/read-capped.ts';
import { MAX_SERVERS, parseServerList } from './servers.ts';
import type { ServerReport } from './probe/survey.ts';

export const CACHE_FORMAT = 'ltsp-balance-survey/1';
export const MAX_CACHE_BYTES = 1024 * 1024;
/** A cache written this far in the future (clock stepped back) is not trusted. */
const MAX_CLOCK_SKEW_MS = 1000;

export interface CachedReport {
  server: string;
  reachable: boolean;
  rttMs?: number;
  via?: 'udp' | 'tcp';
  address?: string;
  error?: { code: string; message: string };
  document?: string;
}

/**
 * The cached reports when the file exists, is at most `maxAgeMs` old and is valid; else undefined.
 * `onReject` hears why an existing file could not be used (missing or stale is not worth a word).
 */
export function readSurveyCache(path: string, maxAgeMs: number, nowMs: number, onReject?: (err: CacheError) => void): ServerReport[] | undefined {
  if (maxAgeMs <= 0) return undefined;
  let bytes: Buffer;
  try {
    bytes = readFileCapped(path, MAX_CACHE_BYTES);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') onReject?.(new CacheError(`cannot read ${path}: ${(err as Error).message}`, err));
    return undefined;
  }
  try {
    return validate(bytes, maxAgeMs, nowMs);
  } catch (err) {
    onReject?.(err instanceof CacheError ? err : new CacheError(`${path}: ${(err as Error).message}`, err));
    return undefined;
  }
}

function validate(bytes: Buffer, maxAgeMs: number, nowMs: number): ServerReport[] | undefined {
  const doc = JSON.parse(bytes.toString('utf8')) as unknown;
  if (!isRecord(doc) || doc.format !== CACHE_FORMAT) throw new CacheError(`not a ${CACHE_FORMAT} file`);
  const written = doc.writtenAtMs;
  if (typeof written !== 'number' || !Number.isFinite(written)) throw new CacheError('writtenAtMs missing');
  if (written > nowMs + MAX_CLOCK_SKEW_MS) throw new CacheError('written in the future (clock changed?)');
  // Stale is the normal state when no bridge runs: not worth a warning.
  if (nowMs - written > maxAgeMs) return undefined;
  if (!Array.isArray(doc.reports) || doc.reports.length > MAX_SERVERS) throw new CacheError('reports missing or too many');
  return doc.reports.map((entry: unknown, i: number) => readReport(entry, i));
}

function readReport(entry: unknown, i: number): ServerReport {
  const bad = (what: string): never => {
    throw new CacheError(`report ${i}: ${what}`);
  };
  if (!isRecord(entry)) return bad('not an object');
  if (typeof entry.server !== 'string') return bad('server missing');
  const [server] = parseServerList(entry.server, 'cache');
  if (!server) return bad('server missing');
  if (typeof entry.reachable !== 'boolean') return bad('reachable missing');
  const report: ServerReport = { server, reachable: entry.reachable };
  if (entry.rttMs !== undefined) {
    if (typeof entry.rttMs !== 'number' || !(entry.rttMs >= 0 && entry.rttMs < 3_600_000)) return bad('rttMs out of range');
    report.rttMs = entry.rttMs;
  }
  if (entry.via !== undefined) {
    if (entry.via !== 'udp' && entry.via !== 'tcp') return bad('via is not udp or tcp');
    report.via = entry.via;
  }
  if (entry.address !== undefined) {
    if (typeof entry.address !== 'string' || entry.address.length > 64) return bad('address invalid');
    report.address = entry.address;
  }
  if (entry.error !== undefined) {
    const e = entry.error;
    if (!isRecord(e) || typeof e.code !== 'string' || typeof e.message !== 'string') return bad('error invalid');
    report.error = { code: e.code.slice(0, 64), message: e.message.slice(0, 512) };
  }
  if (entry.document !== undefined) {
    if (typeof entry.document !== 'string') return bad('document is not text');
    report.ad = parseAdvertisement(entry.document);
  }
  if (report.reachable && !report.ad) return bad('reachable without a document');
  return report;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
