/**
 * A connection budget shared fairly between peers (a source address, a uid): each peer may hold at
 * most its own cap, and when the whole budget is in use a newcomer takes the oldest evictable
 * connection of the peer holding the most, as long as that peer holds at least two more than the
 * newcomer would. So one peer holding its whole share never locks out another, and many peers
 * together converge on equal shares (max-min fairness) instead of first come, first served.
 *
 * Numbers and bookkeeping only: the caller closes what `admit` names as the victim.
 */

export type Admission<T> = { ok: true; evict: T | null } | { ok: false; why: 'peer_cap' | 'full' };

export class FairShare<K, T> {
  private readonly byPeer = new Map<K, Set<T>>();
  private total = 0;

  constructor(
    /** Connections at most, every peer together. */
    public capacity: number,
    /** A connection that may be closed to make room (idle, or already answered). */
    private readonly evictable: (item: T) => boolean = () => true,
  ) {}

  get size(): number {
    return this.total;
  }

  get peers(): number {
    return this.byPeer.size;
  }

  held(peer: K): number {
    return this.byPeer.get(peer)?.size ?? 0;
  }

  /**
   * May `peer` open one more connection? `peerCap` is its own limit (Infinity: none). When the budget
   * is full, `evict` names the connection to close first; the caller closes it and calls `release`.
   */
  admit(peer: K, peerCap: number): Admission<T> {
    const mine = this.held(peer);
    if (mine >= peerCap) return { ok: false, why: 'peer_cap' };
    if (this.total < this.capacity) return { ok: true, evict: null };
    // The budget is full: take from the biggest holder that has something evictable.
    // One pass (this runs on every connection while a flood keeps the budget full).
    let victim: T | null = null;
    let victimHolds = mine + 1;
    for (const [k, set] of this.byPeer) {
      if (k === peer || set.size <= victimHolds) continue;
      for (const item of set) {
        if (!this.evictable(item)) continue;
        victim = item; // the oldest evictable: sets keep insertion order
        victimHolds = set.size;
        break;
      }
    }
    return victim === null ? { ok: false, why: 'full' } : { ok: true, evict: victim };
  }

  add(peer: K, item: T): void {
    let set = this.byPeer.get(peer);
    if (set === undefined) this.byPeer.set(peer, (set = new Set()));
    if (set.has(item)) return;
    set.add(item);
    this.total++;
  }

  release(peer: K, item: T): void {
    const set = this.byPeer.get(peer);
    if (set === undefined || !set.delete(item)) return;
    this.total--;
    if (set.size === 0) this.byPeer.delete(peer);
  }
}
