/**
 * What a survey report means for the next login: a status per server, and the filter that removed
 * it from the candidates (the spec's tunables). Checked in this order, first match wins:
 * no valid answer or the login path closed (Down), the administrator drains it or weights it 0
 * (Draining), swapping now (Swapped), over the load ceiling per CPU or slower than the round-trip
 * ceiling (Busy). Everything else is Idle: a candidate (with `fixed`, every status but Down and
 * Draining is one: balancing off).
 *
 * What a person is shown is the same status with Idle split in two: a candidate working hard is
 * Loaded, not Idle, so a server at 1.95 load per CPU and 91 % memory does not look idle just because
 * it is under the 2.0 ceiling. The thresholds, fixed and documented in get-hosts/README.md:
 * Loaded when the load per CPU is at least LOADED_LOAD_PER_CPU or the memory in use is at least
 * LOADED_MEMORY_USED of the total.
 */
import { isSwapping, loadPerCpu } from '../../shared/wire/rating.ts';
import type { Settings } from '../settings.ts';
import type { ServerReport } from '../probe/survey.ts';

export type ServerStatus = 'Down' | 'Idle' | 'Busy' | 'Swapped' | 'Draining';
export type DisplayStatus = ServerStatus | 'Loaded';

/** Every CPU busy on average: more logins will be felt. */
export const LOADED_LOAD_PER_CPU = 1.0;
/** Share of memory in use (1 - available/total) from which a server is Loaded. */
export const LOADED_MEMORY_USED = 0.85;
export type FilterName = 'down' | 'login-path' | 'draining' | 'weight-0' | 'swapping' | 'max-load' | 'max-rtt';

export interface Classification {
  status: ServerStatus;
  /** Why it is not a candidate; absent for Idle. */
  filteredBy?: FilterName;
  /** One human sentence: what was seen against which limit. */
  detail: string;
}

export type StatusSettings = Pick<Settings, 'maxLoadPerCpu' | 'maxRttMs' | 'skipSwapping' | 'weights'>;

export function classify(report: ServerReport, settings: StatusSettings): Classification {
  const ad = report.ad;
  if (!report.reachable || !ad) {
    const why = report.error ? `${report.error.code}: ${report.error.message}` : 'no answer';
    return { status: 'Down', filteredBy: 'down', detail: why };
  }
  if (report.login && !report.login.ok) {
    return { status: 'Down', filteredBy: 'login-path', detail: report.login.error?.message ?? `login port ${report.login.port} closed` };
  }
  if (ad.state === 'draining') return { status: 'Draining', filteredBy: 'draining', detail: 'the administrator is draining it' };
  if (effectiveWeight(report, settings) === 0) return { status: 'Draining', filteredBy: 'weight-0', detail: 'weight 0: no new sessions' };
  if (settings.skipSwapping && isSwapping(ad)) {
    const rate = ad.swapInPerSec + ad.swapOutPerSec;
    return { status: 'Swapped', filteredBy: 'swapping', detail: `swapping ${rate.toFixed(0)} pages/s now` };
  }
  const load = loadPerCpu(ad);
  if (settings.maxLoadPerCpu > 0 && load > settings.maxLoadPerCpu) {
    return { status: 'Busy', filteredBy: 'max-load', detail: `load ${load.toFixed(2)} per CPU > LDM_BALANCE_MAX_LOAD ${settings.maxLoadPerCpu}` };
  }
  if (settings.maxRttMs > 0 && report.rttMs !== undefined && report.rttMs > settings.maxRttMs) {
    return { status: 'Busy', filteredBy: 'max-rtt', detail: `round trip ${report.rttMs} ms > LDM_BALANCE_MAX_RTT_MS ${settings.maxRttMs}` };
  }
  return { status: 'Idle', detail: `load ${load.toFixed(2)} per CPU` };
}

/** With `fixed` balancing is off: only Down and Draining servers are skipped. */
export function isCandidate(status: ServerStatus, algorithm: string): boolean {
  return algorithm === 'fixed' ? status !== 'Down' && status !== 'Draining' : status === 'Idle';
}

/** The status a person is shown, and why when it is Loaded. */
export function displayStatus(c: Classification, report: ServerReport): { display: DisplayStatus; why?: string } {
  const ad = report.ad;
  if (c.status !== 'Idle' || !ad) return { display: c.status };
  const load = loadPerCpu(ad);
  const used = ad.memTotalKb > 0 ? 1 - ad.memAvailableKb / ad.memTotalKb : 0;
  const why: string[] = [];
  if (load >= LOADED_LOAD_PER_CPU) why.push(`load ${load.toFixed(2)} per CPU >= ${LOADED_LOAD_PER_CPU}`);
  if (used >= LOADED_MEMORY_USED) why.push(`memory ${Math.round(used * 100)} % used >= ${LOADED_MEMORY_USED * 100} %`);
  return why.length === 0 ? { display: 'Idle' } : { display: 'Loaded', why: why.join(', ') };
}

/** The client's override for this host (LDM_BALANCE_WEIGHTS) if any, else what the server advertises. */
export function effectiveWeight(report: ServerReport, settings: Pick<Settings, 'weights'>): number {
  const override = settings.weights.get(report.server.host.toLowerCase());
  return override ?? report.ad?.weight ?? 100;
}
