/**
 * How long a worker call takes, per op, learnt from the calls that finished: the pool uses it to
 * answer at once what cannot finish before its deadline instead of handing it to a worker that would
 * then be killed at the deadline (and take its replacement's start-up time with it).
 *
 * Two figures: a moving average over every op, for predicting how long the queue takes to clear,
 * and per op `bound`, the 90th percentile of the last 32 calls, for deciding whether a request still
 * has time for one call: a percentile rather than the maximum, so that one call slowed by a burst of
 * load elsewhere does not make the pool turn away work it has time for (the flood benchmark saw
 * that), and a high one, so that a request handed to a worker rarely outlives its deadline.
 * Calls that hit the deadline are not learnt: a hung backend must not make the pool refuse the very
 * calls that would show it is back.
 */
const DECAY = 0.2;
const WINDOW = 32;
const PERCENTILE = 0.9;

/**
 * The last WINDOW calls of one op, kept twice: in arrival order (a ring, to know which one leaves)
 * and sorted (to read the percentile). learn() runs once per answered request on the daemon's hot
 * path, so it moves at most WINDOW numbers in place and allocates nothing.
 */
class Estimate {
  bound: number;
  private readonly ring = new Float64Array(WINDOW);
  private readonly sorted = new Float64Array(WINDOW);
  private n = 0;
  private next = 0;

  constructor(ms: number) {
    this.bound = ms;
  }

  add(ms: number): void {
    const s = this.sorted;
    let len = this.n;
    if (len === WINDOW) {
      // Take the oldest out of the sorted copy.
      const old = this.ring[this.next]!;
      let i = 0;
      while (s[i] !== old) i++;
      s.copyWithin(i, i + 1, len);
      len--;
    } else {
      this.n++;
    }
    this.ring[this.next] = ms;
    this.next = (this.next + 1) % WINDOW;
    let j = len;
    while (j > 0 && s[j - 1]! > ms) {
      s[j] = s[j - 1]!;
      j--;
    }
    s[j] = ms;
    this.bound = s[Math.min(this.n - 1, Math.ceil(PERCENTILE * this.n) - 1)]!;
  }
}

export class ServiceTime {
  private readonly byOp = new Map<string, Estimate>();
  /** Moving average over every op: the queue holds a mix. */
  private all = 0;

  learn(op: string, ms: number): void {
    let e = this.byOp.get(op);
    if (e === undefined) this.byOp.set(op, (e = new Estimate(ms)));
    e.add(ms);
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
