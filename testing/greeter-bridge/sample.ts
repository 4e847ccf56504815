import type { Snapshot, SnapshotServer } from '../../greeter-bridge/format.ts';

/** A small fleet as the bridge would publish it: one recommended, one Down. */
export function sampleSnapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    epoch: '0badcafe',
    seq: 7,
    time: 1_700_000_000,
    servers: [
      server('app1.school.example', { status: 'Busy', rating: 31, loadPerCpu: 2.5, users: 40, rttMs: 0.8 }),
      server('app2.school.example', { recommended: true, rating: 97, loadPerCpu: 0.05, users: 3, rttMs: 0.4 }),
      server('10.0.0.9:3771', { status: 'Down', rating: null, loadPerCpu: null, users: null, rttMs: null }),
      server('[fd00::5]:378', { status: 'Swapped', rating: 8, loadPerCpu: 0.5, users: 12, rttMs: 1.2 }),
    ],
    ...overrides,
  };
}

export function server(name: string, fields: Partial<SnapshotServer> = {}): SnapshotServer {
  return { server: name, status: 'Idle', recommended: false, rating: 90, loadPerCpu: 0.1, users: 1, rttMs: 0.5, ...fields };
}

/** `n` servers with long names, to force a split into several parts. */
export function largeSnapshot(n: number, seq = 1): Snapshot {
  const servers = Array.from({ length: n }, (_, i) =>
    server(`application-server-${String(i).padStart(4, '0')}.a-rather-long-department-name.school.example`, {
      recommended: i === 3,
      rating: i % 101,
      users: i,
    }),
  );
  return { epoch: '12345678', seq, time: 1_700_000_100, servers };
}
