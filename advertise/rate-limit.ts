/**
 * Per-source token buckets for UDP queries, as DNS response-rate limiting does it: each source
 * (an IPv4 address, or an IPv6 /64, since one host owns a whole /64) may send `burst` queries at once
 * and `rate` per second after that. The map is bounded: when full, the oldest entry is evicted, and
 * buckets that have refilled completely are swept, so a spray of spoofed sources costs a fixed amount
 * of memory. Eviction fails open (an evicted source starts with a full bucket): acceptable because
 * no answer is ever larger than its query, so the limit guards CPU and bandwidth, not amplification.
 */
import { unmapIPv4 } from '../shared/net/address.ts';

interface Bucket {
  tokens: number;
  lastMs: number;
}

export const DEFAULT_MAX_SOURCES = 65_536;

export class SourceRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private ratePerMs = 0;
  private burst = 1;

  constructor(
    ratePerSec: number,
    burst: number,
    private readonly maxSources = DEFAULT_MAX_SOURCES,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.configure(ratePerSec, burst);
  }

  /** New limits apply at once (SIGHUP); 0 per second turns limiting off. */
  configure(ratePerSec: number, burst: number): void {
    this.ratePerMs = ratePerSec / 1000;
    this.burst = burst;
    if (ratePerSec === 0) this.buckets.clear();
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for this source; false means drop the query. */
  allow(address: string): boolean {
    if (this.ratePerMs === 0) return true;
    const key = sourceKey(address);
    const now = this.now();
    const bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxSources) this.buckets.delete(this.buckets.keys().next().value!);
      this.buckets.set(key, { tokens: this.burst - 1, lastMs: now });
      return true;
    }
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.lastMs) * this.ratePerMs);
    bucket.lastMs = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Forgets sources whose bucket is full again: they would start the same way if they came back. */
  sweep(): void {
    const now = this.now();
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.lastMs) * this.ratePerMs >= this.burst) this.buckets.delete(key);
    }
  }
}

/** The rate-limiting identity of an address: IPv4 (also when mapped into IPv6) as is, IPv6 by /64. */
export function sourceKey(address: string): string {
  if (!address.includes(':')) return address; // IPv4 (on every query: no regular expression)
  const v4 = unmapIPv4(address);
  if (v4 !== address) return v4;
  const bare = address.split('%')[0]!.toLowerCase();
  const [head = '', tail] = bare.split('::');
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? front : [...front, ...Array(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back];
  return `${groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':')}::/64`;
}
