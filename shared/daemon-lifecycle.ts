/**
 * The one life of a daemon (advertise, greeter bridge, winbind pool): `run(options): Promise<number>`
 * starts it, serves until SIGTERM or SIGINT, drains, and resolves with the exit code once everything
 * is closed; the bin returns that code through runCli. Nothing calls process.exit on the way out, so
 * stdout and stderr are flushed and the same function runs inside a test.
 *
 * The handlers are installed before the daemon starts: a signal that arrives while it is starting
 * must drain it, not kill it half-way. A second signal during the drain ends the process at once
 * (exit 1) after `onForce`, for an administrator who will not wait.
 */
import { EXIT } from './exit-codes.ts';
import { logError } from './log.ts';

export interface StopSignal {
  /** Resolves with the first SIGTERM or SIGINT. */
  readonly received: Promise<NodeJS.Signals>;
  /** Removes the handlers (after the drain). */
  dispose(): void;
}

export function stopSignal(onForce: () => void = () => {}): StopSignal {
  let first: NodeJS.Signals | undefined;
  let resolve!: (signal: NodeJS.Signals) => void;
  const received = new Promise<NodeJS.Signals>((r) => (resolve = r));
  const handler = (signal: NodeJS.Signals): void => {
    if (first === undefined) {
      first = signal;
      resolve(signal);
      return;
    }
    logError(`${signal} again while draining after ${first}: stopping now`);
    try {
      onForce();
    } finally {
      process.exit(EXIT.failure);
    }
  };
  process.on('SIGTERM', handler).on('SIGINT', handler);
  return {
    received,
    dispose: () => void process.off('SIGTERM', handler).off('SIGINT', handler),
  };
}
