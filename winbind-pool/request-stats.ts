/**
 * Requests by type and outcome, and how long they took, for the pool's metrics. Counted where a
 * request is answered (server.ts), so every way a request ends (served, denied, busy, timeout,
 * shutting down) is seen once. Bounded: ops and outcomes are fixed vocabularies of the protocol.
 */
import { histogramSamples, type HistogramData } from '../shared/metrics/exposition.ts';

/** Seconds; a PAM login waits on auth, so the buckets reach past the default 4 s deadline. */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
const MAX_KEYS = 256;

export class RequestStats {
  private readonly counts = new Map<string, number>();
  private readonly histograms = new Map<string, { counts: number[]; sum: number }>();

  /** `op` and `outcome` come from the protocol's own vocabularies (ok, or an error code). */
  observe(op: string, outcome: string, seconds: number): void {
    const key = `${op}\u0000${outcome}`;
    if (!this.counts.has(key) && this.counts.size >= MAX_KEYS) return;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    let h = this.histograms.get(op);
    if (!h) {
      if (this.histograms.size >= MAX_KEYS) return;
      h = { counts: new Array(DURATION_BUCKETS.length + 1).fill(0), sum: 0 };
      this.histograms.set(op, h);
    }
    let i = DURATION_BUCKETS.findIndex((b) => seconds <= b);
    if (i === -1) i = DURATION_BUCKETS.length;
    h.counts[i]!++;
    h.sum += seconds;
  }

  requests(): Array<{ op: string; outcome: string; count: number }> {
    return [...this.counts].map(([k, count]) => {
      const [op, outcome] = k.split('\u0000') as [string, string];
      return { op, outcome, count };
    });
  }

  durationSamples(name: string): ReturnType<typeof histogramSamples> {
    return [...this.histograms].flatMap(([op, h]) => histogramSamples(name, { bounds: DURATION_BUCKETS, counts: h.counts, sum: h.sum } satisfies HistogramData, { op }));
  }
}
