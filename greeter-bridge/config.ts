/**
 * The bridge's own settings: each from its flag, else the environment (ltsp_config exports lts.conf
 * there before LDM and the greeter start), else lts.conf read with get_hosts' LTSP rules, else the
 * default. Every value is checked here and a bad one is a ConfigError naming the key and its source:
 * unlike get_hosts, the bridge is a daemon an administrator starts and can fix.
 */
import { execFileSync } from 'node:child_process';
import { flagValue } from '../shared/options.ts';
import { BRIDGE } from '../shared/option-table.ts';
import { ConfigError } from '../shared/errors.ts';
import { localIdentity } from '../ltsp/identity.ts';
import { MAX_LTS_CONF_BYTES, parseLtsConf, resolveForClient } from '../ltsp/ltsconf.ts';
import { readFileCapped } from '../shared/fs/read-capped.ts';
import { DEFAULT_LTS_CONF_PATHS } from '../balance/settings.ts';
import { CHOICE_MESSAGE_SIZE } from './choice.ts';
import { MIN_MESSAGE_SIZE } from './format.ts';
import { checkQueueSize, type KernelLimits, type QueueSize } from './limits.ts';
import { queueName } from './mq.ts';

export const DEFAULT_QUEUE = '/ltsp-greeter-servers';
export const DEFAULT_CHOICE_QUEUE = '/ltsp-greeter-choice';
export const DEFAULT_INTERVAL_S = 30;
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

/** Looks keys up in the environment, then in lts.conf (read once, on first use). */
export function keyReader(env: NodeJS.ProcessEnv, configPath: string | undefined): (key: string) => Source | undefined {
  let conf: Map<string, Source> | undefined;
  return (key) => {
    const fromEnv = env[key];
    if (fromEnv !== undefined && fromEnv !== '') return { value: fromEnv, from: 'environment' };
    conf ??= readConf(configPath);
    return conf.get(key);
  };
}

function readConf(configPath: string | undefined): Map<string, Source> {
  const out = new Map<string, Source>();
  for (const path of configPath ? [configPath] : DEFAULT_LTS_CONF_PATHS) {
    let text: Buffer;
    try {
      text = readFileCapped(path, MAX_LTS_CONF_BYTES);
    } catch (err) {
      if (!configPath && (err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new ConfigError('--config', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
    const resolved = resolveForClient(parseLtsConf(text), localIdentity());
    for (const [key, entry] of resolved.entries) out.set(key, { value: entry.value, from: `${path} line ${entry.line}` });
    break;
  }
  return out;
}

export function pickQueue(flag: string | undefined, key: string, fallback: string, lookup: (k: string) => Source | undefined): string {
  if (flag !== undefined) return queueName(flag);
  const found = lookup(key);
  if (!found) return fallback;
  try {
    return queueName(found.value.trim());
  } catch (err) {
    throw new ConfigError(key, `${found.from}: ${key}: ${(err as Error).message}`);
  }
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
