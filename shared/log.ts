/**
 * One event per line on stderr, with the journald priority prefix (sd-daemon(3)): journald strips
 * `<N>` and files the line at that priority; on a terminal it stays readable.
 *
 * Messages are flattened to one line so that a hostile string (a hostname, a datagram) can never
 * forge a second log event.
 */
export const PRIORITY = { err: 3, warning: 4, notice: 5, info: 6, debug: 7 } as const;
export type Priority = keyof typeof PRIORITY;

type Sink = (line: string) => void;

let sink: Sink = (line) => {
  process.stderr.write(line);
};
let maxPriority: number = PRIORITY.info;

/** Tests capture log lines here; daemons raise verbosity with `--verbose`. */
export function setLogSink(next: Sink | undefined): void {
  sink = next ?? ((line) => void process.stderr.write(line));
}
export function setLogLevel(level: Priority): void {
  maxPriority = PRIORITY[level];
}

export function oneLine(text: string): string {
  // Control characters (newlines included) become visible escapes, never a line break.
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function log(priority: Priority, message: string): void {
  const n = PRIORITY[priority];
  if (n > maxPriority) return;
  sink(`<${n}>${oneLine(message)}\n`);
}

export const logError = (m: string): void => log('err', m);
export const logWarning = (m: string): void => log('warning', m);
export const logInfo = (m: string): void => log('info', m);
export const logDebug = (m: string): void => log('debug', m);

/**
 * Counts repeated events and logs them at most once per interval ("rejected 1523 short datagrams in
 * the last 10 s"), so a flood of bad packets cannot flood the journal.
 */
export class ThrottledLog {
  private readonly counts = new Map<string, number>();
  private lastFlush: number;

  constructor(
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    this.lastFlush = now();
  }

  count(priority: Priority, what: string): void {
    const key = `${PRIORITY[priority]}\t${what}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.flushIfDue();
  }

  /**
   * Flushes when something was counted and the interval since the last flush has passed. A timer
   * calls this so that the last events of a burst are logged too; it shares count()'s clock, so two
   * summaries never fall in one interval.
   */
  flushIfDue(): void {
    if (this.counts.size > 0 && this.now() - this.lastFlush >= this.intervalMs) this.flush();
  }

  flush(): void {
    const seconds = Math.max(1, Math.round((this.now() - this.lastFlush) / 1000));
    for (const [key, n] of this.counts) {
      const [p, what] = key.split('\t') as [string, string];
      const priority = (Object.keys(PRIORITY) as Priority[]).find((k) => String(PRIORITY[k]) === p) ?? 'info';
      log(priority, `${what}: ${n} in the last ${seconds} s`);
    }
    this.counts.clear();
    this.lastFlush = this.now();
  }
}
