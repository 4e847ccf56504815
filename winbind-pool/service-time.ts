/**
 * How long a worker call takes, per op, learnt from the calls that finished: the pool uses it to
 * answer at once what cannot finish before its deadline instead of handing it to a worker that would
 * then be killed at the deadline (and take its replacement's start-up time with it).
 *
 * - Admission (a new request, no idle worker): the queue's expected wait plus one call (`bound`,
 *   the 90th percentile of the last 32 calls of its op) against the deadline. The wait is the slower
 *   of two paces: the calls' own times (a moving average over every op, the queue holds a mix) over
 *   the workers, and the time between answers actually seen while requests waited (`answered`):
 *   a daemon or workers starved of CPU serve fewer requests per second than the calls' times say,
 *   and a queue admitted on those times would be answered `queued` at its end. A percentile rather
 *   than the maximum for the call, so that one call slowed by a burst of load elsewhere does not make
 *   the pool turn away work it has time for.
 * - Hand-off (a worker frees up): the oldest waiting request gets the worker only if its time left
 *   covers the slowest of the last 32 calls (`ceiling`) and a quarter more (pool.ts): a call that
 *   overruns the deadline costs a worker, killed and restarted, far more than answering one request
 *   from the queue.
 * Call times are measured in the worker (no IPC, no daemon lag). Calls that hit the deadline are
 * not learnt: a hung backend must not make the pool refuse the very calls that would show it is back.
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
  /** The slowest of the window. */
  ceiling: number;
  private readonly ring = new Float64Array(WINDOW);
  private readonly sorted = new Float64Array(WINDOW);
  private n = 0;
  private next = 0;

  constructor(ms: number) {
    this.bound = ms;
    this.ceiling = ms;
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
    this.ceiling = s[this.n - 1]!;
  }
}

export class ServiceTime {
  private readonly byOp = new Map<string, Estimate>();
  /** Moving average over every op: the queue holds a mix. */
  private all = 0;
  /** Moving average of the time between two answers while requests were waiting, and the last one. */
  private gap = 0;
  private lastAnswer = -1;

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

  /** The slowest of the last 32 calls of `op`; 0 while nothing is known. */
  ceiling(op: string): number {
    return this.byOp.get(op)?.ceiling ?? 0;
  }

  /**
   * An answer came back at `now` (ms); `saturated`: requests were waiting, so every worker was busy
   * and the time since the previous answer is what the pool really takes per request, dispatch
   * delays and CPU shared with other processes included, which the calls' own times do not show.
   */
  answered(now: number, saturated: boolean): void {
    if (saturated && this.lastAnswer >= 0) {
      const gap = now - this.lastAnswer;
      this.gap = this.gap === 0 ? gap : this.gap + (gap - this.gap) * DECAY;
    }
    this.lastAnswer = saturated ? now : -1;
  }

  /**
   * How long `waiting` queued requests take to clear on `workers` workers: from the calls' own
   * times, or from the observed pace of answers under load when that is slower (a daemon or its
   * workers starved of CPU serve fewer requests per second than their call times promise).
   */
  queueWait(waiting: number, workers: number): number {
    return waiting * Math.max(this.all / Math.max(1, workers), this.gap);
  }
}
