/**
 * How long a worker call takes, per op, learnt from the calls that finished: the pool uses it to
 * answer at once what cannot finish before its deadline instead of handing it to a worker that would
 * then be killed at the deadline (and take its replacement's start-up time with it).
 *
 * Two figures per op. `typical` is a moving average, for predicting how long the queue takes to
 * clear. `bound` is the 90th percentile of the last 32 calls, for deciding whether a request still
 * has time for one call: a percentile rather than the maximum, so that one call slowed by a burst of
 * load elsewhere does not make the pool turn away work it has time for (the flood benchmark saw
 * that), and a high one, so that a request handed to a worker rarely outlives its deadline.
 * Calls that hit the deadline are not learnt: a hung backend must not make the pool refuse the very
 * calls that would show it is back.
 */
const DECAY = 0.2;
const WINDOW = 32;
const PERCENTILE = 0.9;

interface Estimate {
  typical: number;
  recent: number[];
  bound: number;
}

export class ServiceTime {
  private readonly byOp = new Map<string, Estimate>();
  /** Moving average over every op: the queue holds a mix. */
  private all = 0;

  learn(op: string, ms: number): void {
    let e = this.byOp.get(op);
    if (e === undefined) this.byOp.set(op, (e = { typical: ms, recent: [], bound: ms }));
    else e.typical += (ms - e.typical) * DECAY;
    e.recent.push(ms);
    if (e.recent.length > WINDOW) e.recent.shift();
    const sorted = [...e.recent].sort((a, b) => a - b);
    e.bound = sorted[Math.min(sorted.length - 1, Math.ceil(PERCENTILE * sorted.length) - 1)]!;
    this.all = this.all === 0 ? ms : this.all + (ms - this.all) * DECAY;
  }

  /** What one call of `op` takes at most, 9 times out of 10; 0 while nothing is known (every request gets its chance). */
  bound(op: string): number {
    return this.byOp.get(op)?.bound ?? 0;
  }

  /** How long `waiting` queued requests take to clear on `workers` workers. */
  queueWait(waiting: number, workers: number): number {
    return (waiting * this.all) / Math.max(1, workers);
  }
}
