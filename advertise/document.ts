/**
 * Turns measurements and settings into the two documents the daemon serves, rendered once per
 * sample and kept as Buffers: answering a query is then a send of bytes already in memory.
 * The TCP document carries the user names; the UDP one never does.
 */
import { HOSTNAME_PATTERN, MAX_DOCUMENT_BYTES, MAX_USER_NAMES, WIRE_VERSION, type Advertisement } from '../shared/wire/advertisement.ts';
import { computeRating } from '../shared/wire/rating.ts';
import { renderAdvertisement } from '../shared/wire/render.ts';
import type { Measurements } from './sampler.ts';
import type { Settings } from './settings.ts';

export interface Documents {
  ad: Advertisement;
  tcp: Buffer;
  udp: Buffer;
}

export function buildAdvertisement(m: Measurements, s: Settings, hostname: string, daemonUptimeSec: number): Advertisement {
  return {
    version: WIRE_VERSION,
    hostname,
    state: s.drain ? 'draining' : 'accepting',
    weight: s.weight,
    rating: computeRating(m),
    cpus: m.cpus,
    mhz: m.mhz,
    loadavg1: m.loadavg1,
    loadavg5: m.loadavg5,
    loadavg15: m.loadavg15,
    procsRunning: m.procsRunning,
    procsBlocked: m.procsBlocked,
    memTotalKb: m.memTotalKb,
    memAvailableKb: m.memAvailableKb,
    swapTotalKb: m.swapTotalKb,
    swapFreeKb: m.swapFreeKb,
    swapInPerSec: m.swapInPerSec,
    swapOutPerSec: m.swapOutPerSec,
    sessions: m.sessions,
    users: m.users,
    loginsLast60s: m.loginsLast60s,
    uptimeSec: m.uptimeSec,
    daemonUptimeSec,
    userNames: m.userNames.slice(0, MAX_USER_NAMES),
  };
}

/**
 * Both documents. A user list too long for the client's document cap is cut (halved until it fits):
 * the counts stay exact, only the list of names is incomplete.
 */
export function renderDocuments(ad: Advertisement): Documents {
  const udp = Buffer.from(renderAdvertisement(ad, { includeUserNames: false }));
  let names = ad.userNames ?? [];
  let tcp = Buffer.from(renderAdvertisement(ad, { includeUserNames: true }));
  while (tcp.length > MAX_DOCUMENT_BYTES && names.length > 0) {
    names = names.slice(0, Math.floor(names.length / 2));
    tcp = Buffer.from(renderAdvertisement({ ...ad, userNames: names }, { includeUserNames: true }));
  }
  return { ad, tcp, udp };
}

/** The host name as the wire format allows it: other characters become "-", too long is cut. */
export function wireHostname(raw: string): string {
  if (HOSTNAME_PATTERN.test(raw)) return raw;
  const cleaned = raw.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[.-]+/, '').slice(0, 253);
  return HOSTNAME_PATTERN.test(cleaned) ? cleaned : 'unnamed';
}
