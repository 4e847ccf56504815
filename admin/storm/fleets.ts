/**
 * Fleets for the storm simulator: the two the benchmark proves the default on, and the site's own,
 * read from a `get_hosts --json` survey (the administrator's `ltsp-balance storm --survey FILE`).
 */
import { BalanceError } from '../../shared/errors.ts';
import { EXIT } from '../../shared/exit-codes.ts';
import type { ServerSpec } from './simulate.ts';

const GIB_KB = 1024 * 1024;
/** A session's typical CPU (the simulator's log-normal mean): what a server's load says about its sessions. */
const RUNNABLE_PER_SESSION = 0.15;

/** 30 × 8 CPUs, 32 GiB, weight 100, light background load. */
export function identicalFleet(): ServerSpec[] {
  return Array.from({ length: 30 }, (_, i) => ({ name: `app${i + 1}`, cpus: 8, weight: 100, memKb: 32 * GIB_KB, background: 0.4 + (i % 5) * 0.1 }));
}

/** WEIGHT_50 of the 8-CPU servers run at weight 50 with a backup job's extra load. */
export const WEIGHT_50 = [6, 7, 8];

/** 6 × 4, 10 × 8, 8 × 12, 6 × 20 CPUs (4 GiB per CPU); three 8-CPU servers at weight 50 with extra background load. */
export function mixedFleet(): ServerSpec[] {
  const cpus = [...Array(6).fill(4), ...Array(10).fill(8), ...Array(8).fill(12), ...Array(6).fill(20)] as number[];
  return cpus.map((c, i) => ({
    name: `app${i + 1}`,
    cpus: c,
    weight: WEIGHT_50.includes(i) ? 50 : 100,
    memKb: c * 4 * GIB_KB,
    background: 0.05 * c + (WEIGHT_50.includes(i) ? 2 : 0),
  }));
}

/** Caps on a survey file: a fleet is at most 256 servers (the server-list cap), the file 4 MiB. */
export const MAX_SURVEY_BYTES = 4 * 1024 * 1024;
const MAX_SERVERS = 256;

/** A survey file that cannot describe a fleet (exit 2: the administrator gave the wrong file). */
export class SurveyFleetError extends BalanceError {
  constructor(message: string) {
    super('ERR_STORM_SURVEY', message, { exitCode: EXIT.usage });
  }
}

/**
 * The site's fleet from one `get_hosts --json` document: CPUs, weight and memory as each server
 * advertised them; the load that its sessions do not explain becomes background. Servers that did
 * not answer are left out (nothing is known of them), and said so.
 */
export function fleetFromSurvey(text: string): { fleet: ServerSpec[]; skipped: string[] } {
  if (text.length > MAX_SURVEY_BYTES) throw new SurveyFleetError(`the survey is larger than ${MAX_SURVEY_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new SurveyFleetError(`not a get_hosts --json document: ${(err as Error).message}`);
  }
  const servers = (doc as { servers?: unknown }).servers;
  if (!Array.isArray(servers)) throw new SurveyFleetError('not a get_hosts --json document: no "servers" array');
  if (servers.length > MAX_SERVERS) throw new SurveyFleetError(`${servers.length} servers: more than the ${MAX_SERVERS} a server list may hold`);
  const fleet: ServerSpec[] = [];
  const skipped: string[] = [];
  for (const s of servers as Array<Record<string, unknown>>) {
    const name = typeof s?.server === 'string' ? s.server.slice(0, 255) : '?';
    const ad = s?.reported as Record<string, unknown> | null | undefined;
    const num = (k: string, lo: number, hi: number): number | undefined => {
      const v = ad?.[k];
      return typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi ? v : undefined;
    };
    const cpus = num('cpus', 1, 4096);
    const weight = num('weight', 0, 10_000);
    const memKb = num('memTotalKb', 1, 2 ** 50);
    const load = num('loadavg1', 0, 1e6) ?? 0;
    const sessions = num('sessions', 0, 1e6) ?? 0;
    if (cpus === undefined || weight === undefined || memKb === undefined || weight === 0) {
      skipped.push(name);
      continue;
    }
    fleet.push({ name, cpus, weight, memKb, background: Math.max(0, load - RUNNABLE_PER_SESSION * sessions) });
  }
  if (fleet.length === 0) throw new SurveyFleetError('no server in the survey advertised its CPUs, weight and memory');
  return { fleet, skipped };
}
