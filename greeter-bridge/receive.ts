/**
 * The greeter side in TypeScript (used by `watch` and `choose`): complete snapshots from the queue,
 * reassembled, bad messages logged (throttled) and skipped. On start it asks the bridge to publish
 * again, since the snapshot queue may have been emptied by an earlier greeter.
 */
import { describeError } from '../shared/errors.ts';
import { logDebug, logWarning, ThrottledLog } from '../shared/log.ts';
import { SnapshotAssembler } from './assemble.ts';
import { encodeRefresh } from './choice.ts';
import { QueueNotFoundError } from './errors.ts';
import type { Snapshot } from './format.ts';
import { decodePart } from './parse.ts';
import { listenQueue, sendMessage } from './transport.ts';

/** How often a greeter looks whether the bridge had to make its queue again (removed and recreated). */
const CHECK_EVERY_MS = 30_000;

export interface SnapshotReceiver {
  readonly assembler: SnapshotAssembler;
  close(): void;
}

export function receiveSnapshots(queue: string, choiceQueue: string, onSnapshot: (snap: Snapshot) => void): SnapshotReceiver {
  const assembler = new SnapshotAssembler();
  const throttled = new ThrottledLog();
  const listener = listenQueue(queue, (message) => {
    let snap: Snapshot | undefined;
    try {
      snap = assembler.add(decodePart(message));
    } catch (err) {
      throttled.count('warning', `queue ${queue}: ${describeError(err)}`);
      return;
    }
    if (snap) onSnapshot(snap);
  }, { checkEveryMs: CHECK_EVERY_MS });
  requestRefresh(choiceQueue);
  return {
    assembler,
    close() {
      listener.close();
      throttled.flush();
    },
  };
}

/** Best effort: without a choice queue the next regular poll still brings a snapshot. */
function requestRefresh(choiceQueue: string): void {
  try {
    if (!sendMessage(choiceQueue, encodeRefresh())) logDebug(`queue ${choiceQueue} is full: refresh request not sent`);
  } catch (err) {
    if (err instanceof QueueNotFoundError) logWarning(`${err.message} (refresh request not sent)`);
    else logWarning(`refresh request not sent: ${describeError(err)}`);
  }
}
