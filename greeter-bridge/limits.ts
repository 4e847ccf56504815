/**
 * The kernel's POSIX message queue limits (mq_overview(7)), read once at start, so that the bridge
 * sizes its queues to fit and, when they cannot fit, says which knob to turn. Root may exceed
 * msg_max/msgsize_max (CAP_SYS_RESOURCE), but the greeter and every other reader are sized by the
 * same defaults, so the bridge holds itself to them too.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QueueLimitError } from './errors.ts';

export interface KernelLimits {
  /** fs.mqueue.msg_max: most messages per queue. */
  msgMax: number;
  /** fs.mqueue.msgsize_max: largest message size. */
  msgsizeMax: number;
  /** fs.mqueue.queues_max: queues system-wide. */
  queuesMax: number;
  /** RLIMIT_MSGQUEUE of this process in bytes (`ulimit -q`), undefined when unlimited or unknown. */
  rlimitBytes: number | undefined;
}

/** What the kernel ships with (3.5+) when /proc cannot be read. */
const KERNEL_DEFAULTS = { msgMax: 10, msgsizeMax: 8192, queuesMax: 256 };

export function readKernelLimits(procRoot = '/proc'): KernelLimits {
  const read = (name: keyof typeof KERNEL_DEFAULTS, file: string): number => {
    try {
      const v = Number(readFileSync(join(procRoot, 'sys/fs/mqueue', file), 'ascii').trim());
      return Number.isSafeInteger(v) && v > 0 ? v : KERNEL_DEFAULTS[name];
    } catch {
      return KERNEL_DEFAULTS[name];
    }
  };
  return {
    msgMax: read('msgMax', 'msg_max'),
    msgsizeMax: read('msgsizeMax', 'msgsize_max'),
    queuesMax: read('queuesMax', 'queues_max'),
    rlimitBytes: readRlimit(procRoot),
  };
}

function readRlimit(procRoot: string): number | undefined {
  try {
    const line = readFileSync(join(procRoot, 'self/limits'), 'ascii')
      .split('\n')
      .find((l) => l.startsWith('Max msgqueue size'));
    const soft = line?.slice('Max msgqueue size'.length).trim().split(/\s+/)[0];
    return soft && /^\d+$/.test(soft) ? Number(soft) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What a queue costs against RLIMIT_MSGQUEUE, as ipc/mqueue.c counts it: the messages plus one
 * 48-byte msg_msg header and (up to 32768) one 48-byte priority tree node per message on 64-bit.
 */
export function queueBytes(maxMessages: number, messageSize: number): number {
  return maxMessages * (messageSize + 48) + Math.min(maxMessages, 32_768) * 48;
}

export interface QueueSize {
  maxMessages: number;
  messageSize: number;
}

/** Refuses a size the kernel limits do not allow, naming the sysctl and the command that raises it. */
export function checkQueueSize(queue: string, size: QueueSize, limits: KernelLimits): void {
  if (size.maxMessages > limits.msgMax) {
    throw new QueueLimitError(
      queue,
      'fs.mqueue.msg_max',
      `${size.maxMessages} messages is more than fs.mqueue.msg_max (${limits.msgMax}): raise it with "sysctl -w fs.mqueue.msg_max=${size.maxMessages}" or lower --maxmsgs`,
    );
  }
  if (size.messageSize > limits.msgsizeMax) {
    throw new QueueLimitError(
      queue,
      'fs.mqueue.msgsize_max',
      `${size.messageSize}-byte messages are larger than fs.mqueue.msgsize_max (${limits.msgsizeMax}): raise it with "sysctl -w fs.mqueue.msgsize_max=${size.messageSize}" or lower --msgsize`,
    );
  }
}

/** The explanation for a creation the kernel refused with `errno`, naming the limit to raise. */
export function explainRefusal(queue: string, errno: string, size: QueueSize, limits: KernelLimits): QueueLimitError | undefined {
  const bytes = queueBytes(size.maxMessages, size.messageSize);
  switch (errno) {
    case 'EINVAL': {
      const over = [
        size.maxMessages > limits.msgMax ? `fs.mqueue.msg_max=${limits.msgMax}` : '',
        size.messageSize > limits.msgsizeMax ? `fs.mqueue.msgsize_max=${limits.msgsizeMax}` : '',
      ].filter(Boolean);
      const names = over.length > 0 ? over : [`fs.mqueue.msg_max=${limits.msgMax}`, `fs.mqueue.msgsize_max=${limits.msgsizeMax}`];
      return new QueueLimitError(
        queue,
        names.map((n) => n.split('=')[0]).join(' '),
        `the kernel refused ${size.maxMessages} messages of ${size.messageSize} bytes (EINVAL): over ${names.join(' and ')}; raise with "sysctl -w ${names[0]!.split('=')[0]}=N"`,
        errno,
      );
    }
    case 'EMFILE':
      return new QueueLimitError(
        queue,
        'RLIMIT_MSGQUEUE',
        `the kernel refused to create it (EMFILE): the queue needs about ${bytes} bytes of the per-user RLIMIT_MSGQUEUE ` +
          `(now ${limits.rlimitBytes ?? 'unlimited'} bytes): raise it with "ulimit -q" or LimitMSGQUEUE= in the systemd unit, or lower --maxmsgs/--msgsize`,
        errno,
      );
    case 'ENOSPC':
      return new QueueLimitError(
        queue,
        'fs.mqueue.queues_max',
        `the kernel refused to create it (ENOSPC): fs.mqueue.queues_max (${limits.queuesMax}) queues already exist; raise it with "sysctl -w fs.mqueue.queues_max=N"`,
        errno,
      );
    case 'ENOMEM':
      return new QueueLimitError(queue, 'memory', `the kernel is out of memory for ${bytes} bytes of queue (ENOMEM)`, errno);
    default:
      return undefined;
  }
}
