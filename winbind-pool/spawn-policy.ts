/**
 * When to start workers, as numbers only (no processes here):
 *
 * - SpawnRate: PHP-FPM's and Apache's ramp. A burst gets one worker at once; each tick that still
 *   wanted more than it could start doubles the rate (1, 2, 4 ... up to the cap), a tick without
 *   shortage resets it to 1. So a login storm grows the pool in a few ticks without a fork storm.
 * - CrashGuard: workers that die before they are ready back off exponentially, so a broken
 *   backend (missing library, unreadable user file) never turns into a busy spawn loop.
 */
import type { PoolSettings } from './settings.ts';

export interface Census {
  /** Workers starting, idle or busy. */
  live: number;
  starting: number;
  idle: number;
  queued: number;
  draining: boolean;
  /** After a start failure: one worker at a time until one comes up. */
  probing: boolean;
}

export class SpawnRate {
  rate = 1;
  private budget = 1;
  private starved = false;

  constructor(private readonly s: Pick<PoolSettings, 'minWorkers' | 'maxWorkers' | 'minSpare' | 'spawnRateCap'>) {}

  tick(): void {
    this.rate = this.starved ? Math.min(this.rate * 2, this.s.spawnRateCap) : 1;
    this.starved = false;
    this.budget = this.rate;
  }

  /**
   * How many workers to start now. Filling up to minWorkers is not rate-limited (it replaces
   * workers that died or retired); spares for waiting requests plus minSpare come out of the budget.
   */
  take(c: Census): number {
    if (c.probing && c.starting > 0) return 0;
    const urgent = Math.max(0, (c.draining ? 0 : this.s.minWorkers) - c.live);
    const wanted = (c.draining ? 0 : this.s.minSpare) + c.queued - c.idle - c.starting;
    const n = Math.min(Math.max(urgent, wanted), this.s.maxWorkers - c.live);
    if (n <= 0) return 0;
    const free = Math.min(urgent, n);
    const budgeted = Math.min(n - free, this.budget);
    if (budgeted < n - free) this.starved = true;
    this.budget -= budgeted;
    return c.probing ? Math.min(free + budgeted, 1) : free + budgeted;
  }
}

export class CrashGuard {
  /** Start failures in a row (reset when a worker comes up). */
  failures = 0;
  lastError = '';
  private until = 0;

  constructor(private readonly s: Pick<PoolSettings, 'backoffMinMs' | 'backoffMaxMs'>) {}

  /** Records a failure; returns the delay before the next start. */
  failed(message: string, now = Date.now()): number {
    this.failures++;
    this.lastError = message;
    const delay = Math.min(this.s.backoffMinMs * 2 ** (this.failures - 1), this.s.backoffMaxMs);
    this.until = now + delay;
    return delay;
  }

  started(): void {
    this.failures = 0;
  }

  backoffMs(now?: number): number {
    // Asked on every request: no clock read while no start has ever failed.
    if (this.until === 0) return 0;
    return Math.max(0, this.until - (now ?? Date.now()));
  }
}
