/**
 * The subcommands behind bin/ltsp-greeter-bridge.ts: flags, environment and lts.conf resolved into
 * checked options, then the component runs. Loaded only after commander has parsed the arguments.
 */
import { ConfigError, NotRunningError, UsageError } from '../shared/errors.ts';
import { logWarning } from '../shared/log.ts';
import { configValue, flagValue } from '../shared/options.ts';
import { BRIDGE } from '../shared/option-table.ts';
import { localIdentity } from '../ltsp/identity.ts';
import { formatIssue, readLtsConf, type LtsConf } from '../ltsp/ltsconf.ts';
import { parseServerList } from '../balance/servers.ts';
import { formatWarning, loadSettings } from '../balance/settings.ts';
import { choiceOutput } from './choice-output.ts';
import {
  choiceQueueSize,
  DEFAULT_CHOICE_QUEUE,
  DEFAULT_INTERVAL_S,
  DEFAULT_QUEUE,
  flagOrKey,
  KEYS,
  keyReader,
  pickQueue,
  resolveGroup,
  snapshotQueueSize,
  type Source,
} from './config.ts';
import { readKernelLimits } from './limits.ts';
import { readBridgeStatus } from './lock.ts';

export interface CommonFlags {
  queue?: string;
  choiceQueue?: string;
  config?: string;
}

export interface ServeFlags extends CommonFlags {
  servers?: string;
  interval?: string;
  group?: string;
  output?: string;
  cache?: string | false;
  msgsize?: string;
  maxmsgs?: string;
  removeQueues?: boolean;
}

/** lts.conf, read once per command with the reader get_hosts uses; its problems are logged, never fatal. */
function readConf(flags: CommonFlags): LtsConf | null {
  const conf = readLtsConf({ path: flags.config, client: localIdentity() }) ?? null;
  for (const issue of conf?.issues ?? []) logWarning(formatIssue(issue));
  return conf;
}

function queues(flags: CommonFlags, lookup: (k: string) => Source | undefined): { queue: string; choiceQueue: string } {
  const queue = pickQueue(flags.queue, KEYS.queue, DEFAULT_QUEUE, lookup);
  const choiceQueue = pickQueue(flags.choiceQueue, KEYS.choiceQueue, DEFAULT_CHOICE_QUEUE, lookup);
  if (queue === choiceQueue) throw new UsageError(`the snapshot queue and the choice queue must differ (both are ${queue})`);
  return { queue, choiceQueue };
}

export async function serveCommand(flags: ServeFlags): Promise<number> {
  const conf = readConf(flags);
  const lookup = keyReader(process.env, conf);
  const { queue, choiceQueue } = queues(flags, lookup);
  const limits = readKernelLimits();
  // A flag wins over its key. A bad flag stops serve; a bad key is logged and its default used.
  const intervalMs = flagOrKey(
    flags.interval,
    '--interval',
    KEYS.interval,
    lookup,
    (what, text) => (what === '--interval' ? flagValue(BRIDGE.interval, text) : (configValue(BRIDGE.interval, KEYS.interval, text, what, 'ltsp') as number)),
    DEFAULT_INTERVAL_S * 1000,
    `${DEFAULT_INTERVAL_S} s`,
  );
  const gid = flagOrKey<number | undefined>(flags.group, '--group', KEYS.group, lookup, resolveGroup, undefined, 'no group (queues readable by root only)');
  const mode = gid === undefined ? 0o600 : 0o660;
  const absolute = (what: string, text: string): string => {
    if (!text.startsWith('/')) throw new ConfigError(KEYS.output, `${what} must be an absolute path, got ${JSON.stringify(text)}`);
    return text;
  };
  const outputPath = flagOrKey<string | undefined>(flags.output, '--output', KEYS.output, lookup, absolute, undefined, 'no choice file');

  const identity = localIdentity();
  const { settings, warnings } = loadSettings({ env: process.env, configPath: flags.config, ...identity, ltsConf: conf });
  for (const w of warnings) logWarning(formatWarning(w));
  if (flags.servers !== undefined) settings.servers = parseServerList(flags.servers, '--servers');
  if (settings.servers.length === 0 && (flags.servers !== undefined || (!settings.discover && !settings.bootServer))) {
    throw new ConfigError('LDM_BALANCE_SERVERS', 'no servers to poll: set --servers or LDM_BALANCE_SERVERS (or LDM_BALANCE_DISCOVER=Y, or SERVER)');
  }
  if (settings.servers.length === 0) {
    logWarning(`no server list (LDM_BALANCE_SERVERS): ${settings.discover ? 'discovering servers by broadcast' : `polling the boot server ${settings.bootServer}`} at every poll, as get_hosts does`);
  }
  const cachePath = flags.cache === false ? undefined : (flags.cache ?? settings.cachePath);
  // A poll writes the cache up to one survey deadline after it starts: that is how old it is at the next one.
  if (cachePath && settings.cacheMaxAgeMs < intervalMs + settings.timeoutMs) {
    logWarning(
      `LDM_BALANCE_CACHE_MAX_AGE_MS (${settings.cacheMaxAgeMs}) is shorter than the poll interval plus the survey deadline (${intervalMs + settings.timeoutMs} ms): ` +
        'get_hosts will find the cache stale between polls and query itself',
    );
  }

  // Loaded here, not at the top: watch and choose need none of the survey or XML code.
  const [{ runServe }, { surveyPoll }, { writeSurveyCache }] = await Promise.all([
    import('./serve.ts'),
    import('./survey-poll.ts'),
    import('../balance/cache-write.ts'),
  ]);
  return runServe({
    snapshotQueue: { name: queue, size: snapshotQueueSize(limits, flags, queue), mode, gid },
    choiceQueue: { name: choiceQueue, size: choiceQueueSize(limits), mode, gid },
    limits,
    intervalMs,
    poll: surveyPoll(settings, identity.mac ?? identity.hostname),
    writeCache: cachePath ? (reports, nowMs) => writeSurveyCache(cachePath, reports, nowMs) : undefined,
    output: choiceOutput(outputPath),
    removeQueues: Boolean(flags.removeQueues),
  });
}

export async function watchCommand(flags: CommonFlags & { once?: boolean; timeout?: string }): Promise<number> {
  const { queue, choiceQueue } = queues(flags, keyReader(process.env, readConf(flags)));
  const timeoutMs = flags.timeout === undefined ? 0 : flagValue(BRIDGE.timeout, flags.timeout);
  const { runWatch } = await import('./watch.ts');
  return runWatch({ queue, choiceQueue, once: Boolean(flags.once), timeoutMs });
}

export async function chooseCommand(flags: CommonFlags & { timeout?: string }): Promise<number> {
  const { queue, choiceQueue } = queues(flags, keyReader(process.env, readConf(flags)));
  const timeoutMs = flags.timeout === undefined ? 0 : flagValue(BRIDGE.timeout, flags.timeout);
  const { runChoose } = await import('./choose.ts');
  const server = await runChoose({ queue, choiceQueue, timeoutMs });
  process.stdout.write(`${server}\n`);
  return 0;
}

export async function statusCommand(flags: CommonFlags): Promise<number> {
  const { queue } = queues(flags, keyReader(process.env, readConf(flags)));
  const status = await readBridgeStatus(queue);
  if (!status) throw new NotRunningError(`no bridge serves queue ${queue}`);
  process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
  return 0;
}
