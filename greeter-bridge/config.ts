/**
 * The bridge's own settings: each from its flag, else the environment (ltsp_config exports lts.conf
 * there before LDM and the greeter start), else lts.conf (ltsp/ltsconf.ts, read once by the caller,
 * the same reader get_hosts uses), else the default. One error policy with get_hosts: a bad flag is
 * a usage error (the administrator typed it), a bad value from the environment or lts.conf is logged,
 * naming the key and where it came from, and the default is used.
 */
import { execFileSync } from 'node:child_process';
import { flagValue } from '../shared/options.ts';
import { BRIDGE } from '../shared/option-table.ts';
import { ConfigError } from '../shared/errors.ts';
import { logWarning } from '../shared/log.ts';
import { settingLookup } from '../balance/settings.ts';
import type { LtsConf } from '../ltsp/ltsconf.ts';
import { CHOICE_MESSAGE_SIZE } from './choice.ts';
import { MIN_MESSAGE_SIZE } from './format.ts';
import { checkQueueSize, type KernelLimits, type QueueSize } from './limits.ts';
import { queueName } from './mq.ts';

export const DEFAULT_QUEUE = '/ltsp-greeter-servers';
export const DEFAULT_CHOICE_QUEUE = '/ltsp-greeter-choice';
/** With get_hosts' default cache max age (15 s) the cache written at each poll is used until the next. */
export const DEFAULT_INTERVAL_S = 10;
/** The queue size the kernel uses by default (msg_default, msgsize_default), capped by its maximums. */
export const DEFAULT_MAX_MESSAGES = 10;
export const DEFAULT_MESSAGE_SIZE = 8192;

export const KEYS = {
  queue: 'LDM_BALANCE_BRIDGE_QUEUE',
  choiceQueue: 'LDM_BALANCE_BRIDGE_CHOICE_QUEUE',
  interval: 'LDM_BALANCE_BRIDGE_INTERVAL_S',
  group: 'LDM_BALANCE_BRIDGE_GROUP',
  output: 'LDM_BALANCE_BRIDGE_OUTPUT',
} as const;

export interface Source {
  value: string;
  from: string;
}

/** Looks keys up in the environment, then in lts.conf. */
export function keyReader(env: NodeJS.ProcessEnv, conf: LtsConf | null | undefined): (key: string) => Source | undefined {
  const lookup = settingLookup(env, conf);
  return (key) => {
    const found = lookup(key);
    return found && { value: found.value, from: found.source === 'environment' ? 'environment' : `${found.source} line ${found.line}` };
  };
}

/**
 * A flag's value, else a key's checked value, else the default. `check` throws on a bad value: for a
 * flag that error stands; for a key it is logged and the default is used.
 */
export function flagOrKey<T>(flag: string | undefined, flagName: string, key: string, lookup: (k: string) => Source | undefined, check: (what: string, text: string) => T, fallback: T, describeFallback = String(fallback)): T {
  if (flag !== undefined) return check(flagName, flag);
  const found = lookup(key);
  if (!found) return fallback;
  try {
    return check(`${key} (${found.from})`, found.value.trim());
  } catch (err) {
    logWarning(`${(err as Error).message}; using ${describeFallback}`);
    return fallback;
  }
}

export function pickQueue(flag: string | undefined, key: string, fallback: string, lookup: (k: string) => Source | undefined): string {
  if (flag !== undefined) return queueName(flag);
  return flagOrKey(undefined, '', key, lookup, (what, text) => {
    try {
      return queueName(text);
    } catch (err) {
      throw new ConfigError(key, `${what}: ${(err as Error).message}`);
    }
  }, fallback);
}

/** A group name (looked up through NSS with getent) or a numeric gid. */
export function resolveGroup(what: string, text: string): number {
  if (/^\d{1,10}$/.test(text)) return Number(text);
  if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,63}\$?$/.test(text)) throw new ConfigError(what, `${what}: ${JSON.stringify(text.slice(0, 40))} is not a group name`);
  let line: string;
  try {
    line = execFileSync('getent', ['group', text], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    throw new ConfigError(what, `${what}: no group named ${JSON.stringify(text)}`);
  }
  return Number(line.split(':')[2]);
}

/** The snapshot queue's size: defaults fitted to the kernel, explicit values checked against it. */
export function snapshotQueueSize(limits: KernelLimits, flags: { msgsize?: string; maxmsgs?: string }, queue: string): QueueSize {
  const size = {
    maxMessages: flags.maxmsgs === undefined ? Math.min(DEFAULT_MAX_MESSAGES, limits.msgMax) : flagValue(BRIDGE.maxmsgs, flags.maxmsgs),
    messageSize: flags.msgsize === undefined ? Math.min(DEFAULT_MESSAGE_SIZE, limits.msgsizeMax) : flagValue(BRIDGE.msgsize, flags.msgsize),
  };
  if (size.messageSize < MIN_MESSAGE_SIZE) {
    const why = flags.msgsize === undefined ? `fs.mqueue.msgsize_max is ${limits.msgsizeMax}` : `--msgsize is ${size.messageSize}`;
    throw new ConfigError('--msgsize', `snapshot messages need at least ${MIN_MESSAGE_SIZE} bytes, but ${why}`);
  }
  checkQueueSize(queue, size, limits);
  return size;
}

export function choiceQueueSize(limits: KernelLimits): QueueSize {
  return { maxMessages: Math.min(DEFAULT_MAX_MESSAGES, limits.msgMax), messageSize: Math.min(CHOICE_MESSAGE_SIZE, limits.msgsizeMax) };
}
