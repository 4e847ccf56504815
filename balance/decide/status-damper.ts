/**
 * Damps the displayed status between polls, so a server hovering at a threshold (load 0.99, 1.01,
 * 0.98 ...) does not flip between Idle and Loaded on every refresh of the greeter's list.
 *
 * - A change between two measured statuses (Idle, Loaded, Busy, Swapped) is shown only once the new
 *   status has been seen on two polls in a row; a status seen once and then gone again is never shown.
 * - Down and Draining are facts, not measurements: going to or from them is shown at once (a dead
 *   server must not look alive for another poll, nor a revived one look dead).
 *
 * Only the display is damped: which server is chosen is always decided on the latest survey.
 * Each change shown is reported once, with the reason the classification gave.
 */
import type { DisplayStatus } from './status.ts';

const FACTS: ReadonlySet<DisplayStatus> = new Set(['Down', 'Draining']);

export interface StatusChange {
  server: string;
  from: DisplayStatus;
  to: DisplayStatus;
  reason: string;
}

export class StatusDamper {
  private readonly shown = new Map<string, DisplayStatus>();
  private readonly pending = new Map<string, DisplayStatus>();

  /** The status to show for `server` after a poll that saw `next`; `onChange` hears every change shown. */
  update(server: string, next: DisplayStatus, reason: string, onChange: (c: StatusChange) => void): DisplayStatus {
    const before = this.shown.get(server);
    if (before === undefined || before === next) {
      this.pending.delete(server);
      this.shown.set(server, next);
      return next;
    }
    const confirmed = this.pending.get(server) === next;
    if (!confirmed && !FACTS.has(before) && !FACTS.has(next)) {
      this.pending.set(server, next);
      return before;
    }
    this.pending.delete(server);
    this.shown.set(server, next);
    onChange({ server, from: before, to: next, reason });
    return next;
  }

  /** Forgets servers no longer listed (discovery), so the map cannot grow without bound. */
  retain(servers: ReadonlySet<string>): void {
    for (const key of [...this.shown.keys()]) {
      if (!servers.has(key)) {
        this.shown.delete(key);
        this.pending.delete(key);
      }
    }
  }
}
