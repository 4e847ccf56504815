/**
 * Logs the first events of every window one by one, so each refused choice from a buggy greeter
 * gets its own line with its reason, and only counts the rest (ThrottledLog): a flood from a hostile
 * one cannot flood the journal.
 */
import { log, ThrottledLog, type Priority } from '../shared/log.ts';

export class BurstLog {
  private budget: number;
  private windowStart: number;
  private readonly throttled: ThrottledLog;

  constructor(
    private readonly burst = 10,
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
    private readonly priority: Priority = 'warning',
  ) {
    this.budget = burst;
    this.windowStart = now();
    this.throttled = new ThrottledLog(windowMs, now);
  }

  /** `message` when within the burst, else one more count of `summary`. */
  warn(message: string, summary: string): void {
    if (this.now() - this.windowStart >= this.windowMs) {
      this.budget = this.burst;
      this.windowStart = this.now();
    }
    if (this.budget-- > 0) log(this.priority, message);
    else this.throttled.count(this.priority, summary);
  }

  flush(): void {
    this.throttled.flush();
  }
}
