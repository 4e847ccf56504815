/**
 * Writes the survey cache that balance/cache.ts reads (the format is described there). Apart from
 * the reader so that get_hosts' bundle carries no XML builder: only the greeter bridge writes.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../shared/fs/atomic-write.ts';
import { renderAdvertisement } from '../shared/wire/render.ts';
import { CACHE_FORMAT, type CachedReport } from './cache.ts';
import { CacheError } from './errors.ts';
import type { ServerReport } from './probe/survey.ts';

export function writeSurveyCache(path: string, reports: readonly ServerReport[], nowMs: number): void {
  const body = {
    format: CACHE_FORMAT,
    writtenAtMs: nowMs,
    reports: reports.map((r): CachedReport => {
      const server = r.server.host.includes(':') ? `[${r.server.host}]:${r.server.port}` : `${r.server.host}:${r.server.port}`;
      const out: CachedReport = { server, reachable: r.reachable };
      if (r.rttMs !== undefined) out.rttMs = r.rttMs;
      if (r.via) out.via = r.via;
      if (r.address) out.address = r.address;
      if (r.error) out.error = { code: r.error.code, message: r.error.message };
      // User names stay out: the cache may be readable by anyone on the thin client.
      if (r.ad) out.document = renderAdvertisement(r.ad, { includeUserNames: false });
      return out;
    }),
  };
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileAtomic(path, JSON.stringify(body), 0o644);
  } catch (err) {
    throw new CacheError(`cannot write ${path}: ${(err as Error).message}`, err);
  }
}

