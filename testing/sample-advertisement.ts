import type { Advertisement } from '../shared/wire/advertisement.ts';

/** A plausible 4-CPU application server with two sessions. */
export function sampleAdvertisement(overrides: Partial<Advertisement> = {}): Advertisement {
  return {
    version: 1,
    hostname: 'app1.school.example',
    state: 'accepting',
    weight: 100,
    rating: 71,
    cpus: 4,
    mhz: 2400.5,
    loadavg1: 1.25,
    loadavg5: 0.75,
    loadavg15: 0.5,
    procsRunning: 2,
    procsBlocked: 0,
    memTotalKb: 16_000_000,
    memAvailableKb: 12_000_000,
    swapTotalKb: 2_000_000,
    swapFreeKb: 2_000_000,
    swapInPerSec: 0,
    swapOutPerSec: 0,
    sessions: 3,
    users: 2,
    loginsLast60s: 1,
    uptimeSec: 86_400.5,
    daemonUptimeSec: 3_600,
    userNames: ['alice', 'bob', 'alice'],
    ...overrides,
  };
}
