/**
 * The fleet as Prometheus text (exposition format 0.0.4): what one survey saw, per server. For a
 * monitoring site that already scrapes; the daemons' own counters are theirs to expose.
 */
import type { FleetSnapshot } from './collect.ts';

const STATUSES = ['Idle', 'Loaded', 'Busy', 'Swapped', 'Draining', 'Down'];

/** Label values escaped as the format requires (backslash, double quote, newline). */
const label = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export function fleetMetrics(snapshot: FleetSnapshot | undefined): string {
  const out: string[] = [];
  const gauge = (name: string, help: string, rows: Array<[Record<string, string>, number | null]>): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of rows) {
      if (value === null) continue;
      const l = Object.entries(labels).map(([k, v]) => `${k}="${label(v)}"`).join(',');
      out.push(l ? `${name}{${l}} ${value}` : `${name} ${value}`);
    }
  };
  const rows = snapshot?.rows ?? [];
  gauge('ltsp_balance_fleet_server_up', 'Whether the server answered the last survey (1) or not (0).', rows.map((r) => [{ server: r.server }, r.status === 'Down' ? 0 : 1]));
  gauge('ltsp_balance_fleet_server_status', 'The status the last survey gave the server (1 for the current one).', rows.flatMap((r) => STATUSES.map((s): [Record<string, string>, number] => [{ server: r.server, status: s }, r.status === s ? 1 : 0])));
  gauge('ltsp_balance_fleet_sessions', 'Sessions the server advertised.', rows.map((r) => [{ server: r.server }, r.sessions]));
  gauge('ltsp_balance_fleet_load_per_cpu', 'The higher of the 1- and 5-minute load average, per CPU.', rows.map((r) => [{ server: r.server }, r.loadPerCpu]));
  gauge('ltsp_balance_fleet_memory_used_ratio', 'Memory in use, 0 to 1.', rows.map((r) => [{ server: r.server }, r.memUsedPct === null ? null : r.memUsedPct / 100]));
  gauge('ltsp_balance_fleet_rtt_seconds', 'Round trip of the last survey.', rows.map((r) => [{ server: r.server }, r.rttMs === null ? null : r.rttMs / 1000]));
  gauge('ltsp_balance_fleet_survey_timestamp_seconds', 'When the last survey finished (Unix time).', [[{}, snapshot ? snapshot.at / 1000 : null]]);
  return `${out.join('\n')}\n`;
}
