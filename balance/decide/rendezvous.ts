/**
 * machash: the same client goes to the same server, and a server coming or going moves only its own
 * clients. Rendezvous (highest random weight) hashing: every server gets a pseudo-random weight per
 * client, hash(client, server); the client takes the highest. Weighted by capacity (CPUs × weight,
 * from algorithms.ts) with -w / ln(u), so a 20-CPU server takes five times the clients of a 4-CPU one.
 * `hash mod n` instead would move about n/(n+1) of all clients whenever n changes.
 *
 * Bounded load (Mirrokni et al., "Consistent hashing with bounded loads"): walking the client's
 * rendezvous order, a server already holding more than (1 + e) times its share of the sessions
 * (the reported ones plus this login) is skipped, so one hot hash bucket cannot overload a server.
 * It does not refill: a server back from an outage gets only its hash share of new logins.
 */
import { hash01 } from './random.ts';

export interface HashCandidate {
  /** Stable identity of the server (host|port), what the hash is taken over. */
  key: string;
  /** CPUs × administrator weight; > 0. Only this moves the hash order. */
  weight: number;
  /** Share of the sessions it may take: weight × slow start. A ramping server fills later, clients stay put. */
  capacity: number;
  /** Sessions the server reports now. */
  sessions: number;
}

/** Candidate indices, best first, for this client. */
export function rendezvousOrder(clientKey: string, candidates: readonly Pick<HashCandidate, 'key' | 'weight'>[]): number[] {
  const scored = candidates.map((c, index) => ({ index, score: -c.weight / Math.log(hash01(`${clientKey}\u0000${c.key}`)) }));
  scored.sort((a, b) => b.score - a.score || a.index - b.index);
  return scored.map((s) => s.index);
}

export interface BoundedChoice {
  index: number;
  /** Servers skipped because they were over their bound, in order. */
  skipped: number[];
  /** The bound of the chosen server. */
  bound: number;
}

/** The first server in the client's rendezvous order that stays within (1 + epsilon) × its share. */
export function boundedRendezvous(clientKey: string, candidates: readonly HashCandidate[], epsilon: number): BoundedChoice {
  const order = rendezvousOrder(clientKey, candidates);
  const totalCapacity = candidates.reduce((sum, c) => sum + c.capacity, 0);
  const totalSessions = candidates.reduce((sum, c) => sum + c.sessions, 0) + 1;
  const boundOf = (c: HashCandidate): number => Math.ceil((1 + epsilon) * totalSessions * (c.capacity / totalCapacity));
  const skipped: number[] = [];
  for (const index of order) {
    const c = candidates[index]!;
    const bound = boundOf(c);
    if (c.sessions + 1 <= bound) return { index, skipped, bound };
    skipped.push(index);
  }
  // Unreachable with epsilon >= 0 (some server is at or below its share), kept for safety: plain rendezvous.
  const index = order[0]!;
  return { index, skipped: [], bound: boundOf(candidates[index]!) };
}
