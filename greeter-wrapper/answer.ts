/**
 * What the wrapper answers LDM's `hostname`, and what its status menu shows: pure functions of the
 * decision taken at that moment (balance/gather.ts) and what the user picked.
 *
 * Answer, first that applies:
 *   1. the user's pick in the wrapper's status menu (`value ltsp-server`),
 *   2. the bridge's choice file (a greeter that talks to the bridge),
 *   3. the user's pick in the greeter's own host menu (its `hostname` answer, when it is not the
 *      default first entry of LDM_SERVER),
 *      each only when that host is in the current list and not Down;
 *   4. the fresh decision's chosen server;
 *   5. no decision (the pipeline failed or ran out of time): the greeter's own answer, else the first
 *      host of LDM_SERVER (what LDM would have used without the wrapper).
 * Host names only: the advertise port is never LDM's business.
 */
import type { Decision } from '../balance/decide/decide.ts';
import { loadPerCpu } from '../shared/wire/rating.ts';
import { isNone } from './protocol.ts';

export interface Picks {
  /** The status menu's `value` reply (`None` when nothing was picked). */
  menu?: string;
  /** The host in the bridge's choice file, when it is valid for this session. */
  choiceFile?: string;
  /** The greeter's own `hostname` reply. */
  greeter?: string;
  /** The first host of LDM_SERVER: the greeter's default, so answering it is no pick. */
  defaultHost?: string;
}

export interface Answer {
  host: string;
  /** One sentence for the log. */
  why: string;
  /** Picks that were refused, with the reason (logged as warnings). */
  refused: string[];
}

export function chooseAnswer(decision: Decision | undefined, picks: Picks, ldmServer: readonly string[]): Answer {
  const refused: string[] = [];
  const greeterHost = picks.greeter !== undefined && !isNone(picks.greeter) ? picks.greeter.trim() : undefined;
  if (decision) {
    const candidates: Array<[string | undefined, string]> = [
      [picks.menu !== undefined && !isNone(picks.menu) ? picks.menu.trim().split(' ')[0] : undefined, 'the status menu'],
      [picks.choiceFile, 'the bridge (choice file)'],
      [greeterHost !== undefined && greeterHost !== picks.defaultHost ? greeterHost : undefined, "the greeter's host menu"],
    ];
    for (const [host, where] of candidates) {
      if (host === undefined) continue;
      const problem = unusable(decision, host);
      if (!problem) return { host: listedHost(decision, host), why: `the user picked ${host} in ${where}`, refused };
      refused.push(`the user's pick ${JSON.stringify(host.slice(0, 80))} in ${where} ${problem}: not used`);
    }
    return { host: decision.chosen.host, why: `${decision.reason}${decision.fallback ? ` (fallback: ${decision.fallback})` : ''}`, refused };
  }
  if (greeterHost) return { host: greeterHost, why: "no decision in time: the greeter's own answer", refused };
  if (ldmServer[0]) return { host: ldmServer[0], why: 'no decision in time and no answer from the greeter: the first host of LDM_SERVER', refused };
  return { host: 'server', why: 'nothing at all: the boot server\'s name "server", as LDM\'s screen script uses', refused };
}

function matching(decision: Decision, host: string): Decision['servers'] {
  const h = host.toLowerCase();
  return decision.servers.filter((v) => v.report.server.host.toLowerCase() === h);
}

/** Why a host cannot be answered, or undefined when it can. */
function unusable(decision: Decision, host: string): string | undefined {
  const found = matching(decision, host);
  if (found.length === 0) return 'is not in the server list';
  if (found.every((v) => v.status === 'Down')) return 'is Down';
  return undefined;
}

/** The host as the list spells it. */
function listedHost(decision: Decision, host: string): string {
  return matching(decision, host)[0]!.report.server.host;
}

/** One menu entry per host, in the decision's (configured) order: every server, none hidden. */
export function menuEntries(decision: Decision): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const v of decision.servers) {
    const host = v.report.server.host;
    if (seen.has(host.toLowerCase())) continue;
    seen.add(host.toLowerCase());
    const parts: string[] = [v.display];
    const ad = v.report.ad;
    if (ad && v.status !== 'Down') parts.push(`load ${loadPerCpu(ad).toFixed(2)} per CPU`, `${ad.users} users`);
    if (v.report.server.host === decision.chosen.host && v.status !== 'Down') parts.push('recommended');
    out.push(`${host} (${parts.join(', ')})`);
  }
  return out;
}
