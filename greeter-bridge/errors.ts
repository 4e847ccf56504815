/**
 * Every way the bridge can fail, each with a stable code (README "Error codes"). mq.ts turns the
 * errno of a failed mq_* call into one of the queue errors here, naming the queue and, when the
 * kernel refused for a limit, the limit to raise.
 */
import { BalanceError } from '../shared/errors.ts';
import { EXIT } from '../shared/exit-codes.ts';


/** A queue name the kernel would refuse: one leading `/`, no other `/`, at most 255 bytes. */
export class QueueNameError extends BalanceError {
  constructor(name: string, why: string) {
    super('ERR_MQ_NAME', `queue name ${JSON.stringify(name.slice(0, 80))} ${why}`, { exitCode: EXIT.usage });
  }
}

/**
 * A kernel limit stops the queue: asked for more than it allows, or it refused creation (EINVAL,
 * EMFILE, ENOSPC, ENOMEM). `limit` names the knob to raise, e.g. `fs.mqueue.msgsize_max`.
 */
export class QueueLimitError extends BalanceError {
  constructor(readonly queue: string, readonly limit: string, message: string, readonly errno?: string) {
    super('ERR_MQ_LIMIT', `queue ${queue}: ${message}`);
  }
}

/** EACCES/EPERM: the queue exists with an owner or mode this user may not use. */
export class QueueAccessError extends BalanceError {
  constructor(readonly queue: string, message: string, readonly errno?: string) {
    super('ERR_MQ_ACCESS', `queue ${queue}: ${message}`);
  }
}

/** ENOENT: the queue does not exist (the bridge creates both; is `serve` running?). */
export class QueueNotFoundError extends BalanceError {
  readonly errno = 'ENOENT';
  constructor(readonly queue: string) {
    super('ERR_MQ_NOT_FOUND', `queue ${queue} does not exist: is "ltsp-greeter-bridge serve" running with the same queue names?`);
  }
}

/** Any other failure of a queue call, with the errno name. */
export class QueueIoError extends BalanceError {
  constructor(readonly queue: string, readonly errno: string, what: string, cause?: unknown) {
    super('ERR_MQ_IO', `queue ${queue}: ${what} failed: ${errno}`, { cause });
  }
}

/** The kernel has no POSIX message queues (CONFIG_POSIX_MQUEUE off) or the addon did not load. */
export class QueueUnsupportedError extends BalanceError {
  constructor(message: string, cause?: unknown) {
    super('ERR_MQ_UNSUPPORTED', message, { cause });
  }
}

/** Another bridge already serves this queue; `pid` is its process id when it answered. */
export class BridgeBusyError extends BalanceError {
  constructor(readonly queue: string, readonly pid?: number) {
    super(
      'ERR_BRIDGE_BUSY',
      `another bridge${pid ? ` (pid ${pid})` : ''} already serves queue ${queue}: stop it or use other --queue/--choice-queue names`,
      { exitCode: EXIT.busy },
    );
  }
}

/** A snapshot message that cannot be read: `reason` says which rule it broke. */
export class SnapshotFormatError extends BalanceError {
  constructor(readonly reason: string) {
    super('ERR_SNAPSHOT_FORMAT', `snapshot message refused: ${reason}`);
  }
}

/** The fleet does not fit the queue even split into parts: never cut silently. */
export class SnapshotTooLargeError extends BalanceError {
  constructor(servers: number, parts: number, maxMessages: number, messageSize: number) {
    super(
      'ERR_SNAPSHOT_TOO_LARGE',
      `a snapshot of ${servers} servers needs ${parts} messages of ${messageSize} bytes but the queue holds ${maxMessages}: ` +
        'raise --msgsize (fs.mqueue.msgsize_max) or --maxmsgs (fs.mqueue.msg_max)',
    );
  }
}

/** A message on the choice queue that is not forwarded: garbage, oversized, unknown or Down host. */
export class ChoiceRejectedError extends BalanceError {
  constructor(readonly reason: string) {
    super('ERR_CHOICE_REJECTED', `choice refused: ${reason}`);
  }
}

/** `choose`: the user left without choosing (Esc, q, Ctrl-C). */
export class ChooseCancelledError extends BalanceError {
  constructor() {
    super('ERR_CHOOSE_CANCELLED', 'no server chosen', { exitCode: EXIT.cancelled });
  }
}

/** `watch --once` / `choose`: no complete snapshot arrived in time. */
export class NoSnapshotError extends BalanceError {
  constructor(queue: string, timeoutMs: number) {
    super('ERR_NO_SNAPSHOT', `no snapshot on queue ${queue} within ${timeoutMs} ms: is "ltsp-greeter-bridge serve" running?`, {
      exitCode: EXIT.unavailable,
    });
  }
}
