/**
 * `serve`: the bridge daemon. Polls the servers every interval (and once at start), publishes each
 * snapshot as the greeter queue's only content, writes the get_hosts survey cache, and listens on
 * the choice queue: a valid choice goes to LDM's output, a refresh request republishes, anything
 * else is logged and dropped. SIGTERM/SIGINT let the poll in flight finish and publish, then exit.
 */
import { randomBytes } from 'node:crypto';
import type { ServerReport } from '../balance/probe/survey.ts';
import { describeError } from '../shared/errors.ts';
import { stopSignal } from '../shared/daemon-lifecycle.ts';
import { EXIT } from '../shared/exit-codes.ts';
import { logError, logInfo, logWarning, ThrottledLog } from '../shared/log.ts';
import { inactiveNotifier, systemdNotifier, type Notifier } from '../shared/systemd/notify.ts';
import { checkChoice, decodeChoice } from './choice.ts';
import { BurstLog } from './burst-log.ts';
import type { ChoiceOutput } from './choice-output.ts';
import { ensureQueue, type QueueSpec } from './ensure.ts';
import { QueueNotFoundError } from './errors.ts';
import { encodeSnapshot, type Snapshot, type SnapshotServer } from './format.ts';
import type { KernelLimits } from './limits.ts';
import { acquireBridgeLock } from './lock.ts';
import { unlinkQueue } from './mq.ts';
import { listenQueue, publishLatest, type QueueListener } from './transport.ts';

export interface PollResult {
  servers: SnapshotServer[];
  /** What the survey saw, for the get_hosts cache. */
  reports: ServerReport[];
}
export type PollFn = () => Promise<PollResult>;

export interface ServeOptions {
  snapshotQueue: QueueSpec;
  choiceQueue: QueueSpec;
  limits: KernelLimits;
  intervalMs: number;
  poll: PollFn;
  writeCache?: (reports: ServerReport[], nowMs: number) => void;
  output: ChoiceOutput;
  /** Remove both queues on exit (demos, tests); by default they stay so greeters survive a restart. */
  removeQueues?: boolean;
}

/**
 * Refresh requests closer together than this are served by one republish: a greeter spamming
 * refreshes must not turn the bridge into a busy loop.
 */
const REFRESH_COALESCE_MS = 1000;

export class Bridge {
  readonly counters = {
    polls: 0, pollErrors: 0, published: 0, publishErrors: 0, replacedUnread: 0, statusChanges: 0,
    choicesAccepted: 0, choicesRejected: 0, refreshRequests: 0, lastPollMs: 0, servers: 0,
  };
  private readonly epoch = randomBytes(4).toString('hex');
  private seq = 0;
  private latest: Snapshot | undefined;
  private statuses = new Map<string, string>();
  private listener: QueueListener | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private lastPublishAt = 0;
  private inFlight: Promise<void> | undefined;
  private stopping = false;
  private readonly rejections = new BurstLog();
  /** Queue failures that repeat every poll (a kernel limit, a queue that cannot be made again): the first line of every 10 s, then a count. */
  private readonly queueProblems = new BurstLog(1, 10_000, Date.now, 'err');
  private readonly throttled = new ThrottledLog();
  private readonly startedAt = Date.now();
  private resolveFirstPublish!: () => void;
  /** Resolves once both queues exist and the first snapshot is on the snapshot queue (READY=1). */
  readonly firstPublish = new Promise<void>((resolve) => (this.resolveFirstPublish = resolve));

  constructor(
    private readonly opts: ServeOptions,
    private readonly notifier: Notifier = inactiveNotifier,
  ) {}

  status(): object {
    const { snapshotQueue, choiceQueue, intervalMs } = this.opts;
    return {
      snapshotQueue: snapshotQueue.name, choiceQueue: choiceQueue.name, intervalMs,
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000), ...memory(),
      seq: this.seq, ...this.counters,
    };
  }

  start(): void {
    for (const spec of [this.opts.snapshotQueue, this.opts.choiceQueue]) {
      const r = ensureQueue(spec, this.opts.limits);
      const detail = r.outcome === 'reused' ? `, ${r.discarded} stale messages dropped` : r.reason ? ` (${r.reason})` : '';
      logInfo(`queue ${spec.name}: ${r.outcome}${detail}`);
    }
    this.listener = listenQueue(this.opts.choiceQueue.name, (m) => this.onChoiceMessage(m));
    this.tick();
  }

  /** Lets the poll in flight finish and publish, then closes everything. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    clearTimeout(this.refreshTimer);
    await this.inFlight;
    this.listener?.close();
    this.throttled.flush();
    this.rejections.flush();
    this.queueProblems.flush();
    if (this.opts.removeQueues) {
      for (const { name } of [this.opts.snapshotQueue, this.opts.choiceQueue]) {
        try {
          unlinkQueue(name);
        } catch (err) {
          logWarning(`removing queue ${name}: ${describeError(err)}`);
        }
      }
    }
  }

  private tick(): void {
    if (this.stopping) return;
    const started = Date.now();
    this.checkChoiceQueue();
    this.inFlight = this.pollOnce().finally(() => {
      this.inFlight = undefined;
      this.counters.lastPollMs = Date.now() - started;
      this.notifier.keepAlive();
      this.notifier.status(`${this.counters.servers} servers, snapshot ${this.seq}, ${this.counters.published} published, ${this.counters.choicesAccepted} choices`);
      if (!this.stopping) this.timer = setTimeout(() => this.tick(), Math.max(0, this.opts.intervalMs - (Date.now() - started)));
    });
  }

  /**
   * Once per poll (the bridge has no other timer): reads whatever waits on the choice queue and,
   * when the queue was removed under the bridge, makes it again and listens on the new one.
   */
  private checkChoiceQueue(): void {
    if (!this.listener || this.listener.check() === 'ok') return;
    const spec = this.opts.choiceQueue;
    try {
      ensureQueue(spec, this.opts.limits);
      logWarning(`queue ${spec.name} disappeared: created it again`);
    } catch (err) {
      return this.queueProblems.warn(`queue ${spec.name} disappeared and cannot be created again: ${describeError(err)}`, `queue ${spec.name} still missing`);
    }
    this.listener.check();
  }

  private async pollOnce(): Promise<void> {
    let result: PollResult;
    try {
      result = await this.opts.poll();
    } catch (err) {
      this.counters.pollErrors++;
      return logError(`poll failed: ${describeError(err)}`);
    }
    this.counters.polls++;
    this.counters.servers = result.servers.length;
    this.noteStatusChanges(result.servers);
    if (this.seq >= 2 ** 32 - 1) this.seq = 0;
    this.latest = { epoch: this.epoch, seq: ++this.seq, time: Math.floor(Date.now() / 1000), servers: result.servers };
    this.publish();
    try {
      this.opts.writeCache?.(result.reports, Date.now());
    } catch (err) {
      this.throttled.count('err', `writing the survey cache failed: ${describeError(err)}`);
    }
  }

  /** Counts the changes published (the poll logged each one with its reason). */
  private noteStatusChanges(servers: SnapshotServer[]): void {
    const next = new Map(servers.map((s) => [s.server, s.status as string]));
    for (const [server, status] of next) {
      const before = this.statuses.get(server);
      if (before !== undefined && before !== status) this.counters.statusChanges++;
    }
    this.statuses = next;
  }

  private publish(): void {
    if (!this.latest) return;
    const { name, size } = this.opts.snapshotQueue;
    this.lastPublishAt = Date.now();
    try {
      const parts = encodeSnapshot(this.latest, size.messageSize, size.maxMessages);
      let result;
      try {
        result = publishLatest(name, parts);
      } catch (err) {
        if (!(err instanceof QueueNotFoundError)) throw err;
        // Someone removed the queue under us: make it again rather than go silent.
        logWarning(`queue ${name} disappeared: creating it again`);
        ensureQueue(this.opts.snapshotQueue, this.opts.limits);
        result = publishLatest(name, parts);
      }
      this.counters.published++;
      this.counters.replacedUnread += result.replaced;
      this.resolveFirstPublish();
    } catch (err) {
      this.counters.publishErrors++;
      this.queueProblems.warn(`publishing snapshot ${this.latest.seq} failed: ${describeError(err)}`, 'snapshot publishes failed');
    }
  }

  private onChoiceMessage(message: Buffer): void {
    let server: string;
    try {
      const msg = decodeChoice(message);
      if (msg.kind === 'refresh') return this.onRefresh();
      checkChoice(msg.server, this.latest);
      server = msg.server;
    } catch (err) {
      return this.reject(err);
    }
    this.counters.choicesAccepted++;
    logInfo(`choice accepted: ${server}`);
    try {
      this.opts.output(server);
    } catch (err) {
      logError(`writing the choice ${server} failed: ${describeError(err)}`);
    }
  }

  private onRefresh(): void {
    this.counters.refreshRequests++;
    if (this.refreshTimer || !this.latest) return;
    const wait = Math.max(0, this.lastPublishAt + REFRESH_COALESCE_MS - Date.now());
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.publish();
    }, wait);
  }

  private reject(err: unknown): void {
    this.counters.choicesRejected++;
    this.rejections.warn(describeError(err), 'choice messages refused (log limit reached)');
  }
}

function memory(): { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number; externalBytes: number } {
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, externalBytes: m.external };
}

/** Runs the bridge until SIGTERM/SIGINT; refuses to start when another bridge holds either queue. */
export async function runServe(opts: ServeOptions): Promise<number> {
  // Handlers first (shared/daemon-lifecycle.ts): a signal while starting stops the bridge, not kills it.
  const stop = stopSignal();
  const notifier = systemdNotifier();
  try {
    const bridge = new Bridge(opts, notifier);
    const lock = await acquireBridgeLock([opts.snapshotQueue.name, opts.choiceQueue.name], () => bridge.status());
    try {
      bridge.start();
      logInfo(`serving ${opts.snapshotQueue.name} (snapshots) and ${opts.choiceQueue.name} (choices), polling every ${opts.intervalMs / 1000} s`);
      // Type=notify: systemd starts the greeter only once a snapshot is there to read.
      let stopping = false;
      void bridge.firstPublish.then(() => stopping || notifier.ready(`serving ${opts.snapshotQueue.name}, snapshot published`));
      const signal = await stop.received;
      stopping = true;
      notifier.stopping(`${signal}: finishing the poll in flight`);
      logInfo(`${signal}: finishing the poll in flight`);
      await bridge.stop();
    } finally {
      await lock.release();
    }
  } finally {
    notifier.close();
    stop.dispose();
  }
  return EXIT.ok;
}
