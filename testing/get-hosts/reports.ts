/** Survey reports for the decision tests: a reachable server with a plausible advertisement. */
import type { ServerReport } from '../../balance/probe/survey.ts';
import { computeRating } from '../../shared/wire/rating.ts';
import { sampleAdvertisement } from '../sample-advertisement.ts';
import type { Advertisement } from '../../shared/wire/advertisement.ts';

export function up(host: string, over: Partial<Advertisement> = {}, rttMs = 1): ServerReport {
  const ad = sampleAdvertisement({ hostname: host, loginsLast60s: 0, daemonUptimeSec: 86_400, userNames: undefined, ...over });
  if (over.rating === undefined) ad.rating = computeRating(ad);
  return { server: { host, port: 377 }, reachable: true, ad, rttMs, via: 'udp', address: host };
}

export function down(host: string, code = 'ERR_SURVEY_TIMEOUT'): ServerReport {
  return { server: { host, port: 377 }, reachable: false, error: { code, message: 'no answer within the 300 ms deadline' } };
}

/** A server at this load per CPU (4 CPUs, memory half used). */
export function loaded(host: string, perCpu: number, over: Partial<Advertisement> = {}): ServerReport {
  return up(host, { cpus: 4, loadavg1: perCpu * 4, loadavg5: perCpu * 4, memTotalKb: 16_000_000, memAvailableKb: 8_000_000, ...over });
}

export function counts<T extends string>(items: T[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}
