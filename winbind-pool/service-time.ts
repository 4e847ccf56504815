/**
 * How long a worker call takes, per op, learnt from the calls that finished: the pool uses it to
 * answer at once what cannot finish before its deadline instead of handing it to a worker that would
 * then be killed at the deadline (and take its replacement's start-up time with it).
 *
 * Two figures per op. `typical` is a moving average, for predicting how long the queue takes to
 * clear. `worst` rises at once with a slow call and decays slowly, for deciding whether a request
 * still has time for one call: erring high answers a few requests early, erring low kills a worker.
 * Calls that hit the deadline are not learnt: a hung backend must not make the pool refuse the very
 * calls that would show it is back.
 */
const DECAY = 0.2;

interface Estimate {
  typical: number;
  worst: number;
}

export class ServiceTime {
  private readonly byOp = new Map<string, Estimate>();
  /** Moving average over every op: the queue holds a mix. */
  private all = 0;

  learn(op: string, ms: number): void {
    const e = this.byOp.get(op);
    if (e === undefined) this.byOp.set(op, { typical: ms, worst: ms });
    else {
      e.typical += (ms - e.typical) * DECAY;
      e.worst = ms >= e.worst ? ms : e.worst + (ms - e.worst) * DECAY;
    }
    this.all = this.all === 0 ? ms : this.all + (ms - this.all) * DECAY;
  }

  /** A cautious bound for one call of `op`; 0 while nothing is known (then every request gets its chance). */
  worst(op: string): number {
    return this.byOp.get(op)?.worst ?? 0;
  }

  /** How long `waiting` queued requests take to clear on `workers` workers. */
  queueWait(waiting: number, workers: number): number {
    return (waiting * this.all) / Math.max(1, workers);
  }
}
