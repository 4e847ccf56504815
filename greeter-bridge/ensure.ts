/**
 * Makes a bridge queue exist with the right size, owner, mode and group. A queue left by an earlier
 * (maybe crashed) bridge is reused when it can be: a greeter that already has it open keeps
 * working across a bridge restart. Its stale messages are thrown away and its mode and group set
 * again. It is recreated only when it cannot serve: a different size (fixed at creation), or another
 * owner (someone squatting the name to read snapshots or inject choices), or a mode that does not
 * even let the bridge open it (a squatter's 0600 queue: the bridge runs without CAP_DAC_OVERRIDE).
 */
import { QueueAccessError, QueueNotFoundError } from './errors.ts';
import { checkQueueSize, type KernelLimits, type QueueSize } from './limits.ts';
import { MessageQueue, unlinkQueue } from './mq.ts';

export interface QueueSpec {
  name: string;
  size: QueueSize;
  /** 0o600, or 0o660 with `gid` so that the greeter's group can use it. */
  mode: number;
  gid?: number;
}

export interface EnsureResult {
  outcome: 'created' | 'reused' | 'recreated';
  /** Stale messages thrown away from a reused queue. */
  discarded: number;
  /** Why an existing queue was recreated. */
  reason?: string;
}

export function ensureQueue(spec: QueueSpec, limits: KernelLimits): EnsureResult {
  checkQueueSize(spec.name, spec.size, limits);
  let existing: MessageQueue | undefined;
  try {
    existing = MessageQueue.open(spec.name);
  } catch (err) {
    if (err instanceof QueueAccessError) {
      // Not ours to open, so not ours at all: removing it needs CAP_FOWNER (the queue directory is sticky).
      unlinkQueue(spec.name);
      createQueue(spec, limits);
      return { outcome: 'recreated', discarded: 0, reason: 'its mode does not let this bridge open it' };
    }
    if (!(err instanceof QueueNotFoundError)) throw err;
  }
  if (!existing) {
    createQueue(spec, limits);
    return { outcome: 'created', discarded: 0 };
  }
  let reason: string | undefined;
  try {
    reason = unusableBecause(existing, spec);
    if (reason === undefined) {
      existing.setOwner(spec.mode, spec.gid);
      return { outcome: 'reused', discarded: existing.drain() };
    }
    existing.unlink();
  } finally {
    existing.close();
  }
  createQueue(spec, limits);
  return { outcome: 'recreated', discarded: 0, reason };
}

function unusableBecause(q: MessageQueue, spec: QueueSpec): string | undefined {
  if (q.size.messageSize !== spec.size.messageSize) return `message size ${q.size.messageSize}, want ${spec.size.messageSize}`;
  if (q.size.maxMessages !== spec.size.maxMessages) return `${q.size.maxMessages} messages, want ${spec.size.maxMessages}`;
  const { uid } = q.owner();
  const me = process.geteuid?.() ?? uid;
  if (uid !== me) return `owned by uid ${uid}, not by this bridge (uid ${me})`;
  return undefined;
}

function createQueue(spec: QueueSpec, limits: KernelLimits): void {
  const q = MessageQueue.create(spec.name, spec.size, spec.mode, limits);
  try {
    q.setOwner(spec.mode, spec.gid);
  } catch (err) {
    q.unlink();
    throw err;
  } finally {
    q.close();
  }
}
