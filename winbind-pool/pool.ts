/**
 * The worker pool: which worker gets a request, when workers are spawned, reaped, recycled and
 * killed. Modelled on PHP-FPM's dynamic process manager and Apache prefork (a maintenance tick,
 * spawning that doubles per tick, one reap per tick), with the fault handling SSSD and Squid settled
 * on (a deadline per request, SIGTERM then SIGKILL, no retry of authentication, a crash-loop guard).
 *
 * Invariants: a worker is in `idle` exactly when its state is 'idle'; a request waits in `queue` only
 * while no worker is idle; a worker in 'stopping' or 'killing' never receives a request.
 *
 * Events, for status watchers, tests and benchmarks: spawn(pid), ready(pid), timeout(pid),
 * reap(pid), exit({pid, code, signal, state}), tick().
 */
import { EventEmitter } from 'node:events';
import { logDebug, logInfo, logWarning, ThrottledLog } from '../shared/log.ts';
import {
  BusyError,
  errorFromWire,
  InternalError,
  PoolError,
  RequestTimeoutError,
  ShuttingDownError,
  UnavailableError,
  WorkerDiedError,
} from './errors.ts';
import { describeRequest, type BackendRequest } from './protocol.ts';
import type { BackendSpec, PoolSettings } from './settings.ts';
import { newCounters, poolStatus, type PoolCounters, type PoolStatus } from './pool-status.ts';
import { ServiceTime } from './service-time.ts';
import { CrashGuard, SpawnRate } from './spawn-policy.ts';
import { WorkerHandle, type WorkerLaunch } from './worker-handle.ts';
import type { FromWorker } from './worker-ipc.ts';

/** A queued request gets a worker only with this many times the slowest recent call left (release()). */
const HANDOFF_MARGIN = 1.25;

/** How a request's outcome is delivered: an error, or null and the result. */
export type Answer = (err: PoolError | null, result?: unknown) => void;

interface Job {
  req: BackendRequest;
  answer: Answer;
  timer: NodeJS.Timeout;
  /** performance.now() by which it must be answered. */
  deadline: number;
  /** A lookup whose worker died is retried once; this marks the second try. */
  retried: boolean;
  seq: number;
}

type PoolState = 'new' | 'running' | 'draining' | 'closed';

export class Pool extends EventEmitter {
  private readonly workers = new Set<WorkerHandle>();
  /** Idle workers, most recently idle last: new work goes to the warmest, so surplus ones age out. */
  private readonly idle: WorkerHandle[] = [];
  private readonly queue: Job[] = [];
  private readonly inFlight = new Map<WorkerHandle, Job>();
  private state: PoolState = 'new';
  private seq = 0;
  private readonly spawnRate: SpawnRate;
  private readonly crashGuard: CrashGuard;
  private readonly serviceTime = new ServiceTime();
  private tickTimer: NodeJS.Timeout | undefined;
  private readonly overload: ThrottledLog;
  private readonly startedAt = Date.now();
  private readonly counters: PoolCounters = newCounters();
  private stateWaiters: (() => void)[] = [];

  constructor(
    readonly settings: PoolSettings,
    private readonly backend: BackendSpec,
    private readonly launch: WorkerLaunch,
  ) {
    super();
    this.overload = new ThrottledLog(settings.overloadLogIntervalMs);
    this.spawnRate = new SpawnRate(settings);
    this.crashGuard = new CrashGuard(settings);
  }

  /** Starts the minimum of workers; resolves once each of them is ready or has failed. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new InternalError('pool already started', 'exception');
    this.state = 'running';
    this.tickTimer = setInterval(() => this.tick(), this.settings.tickMs);
    this.tickTimer.unref();
    this.ensureCapacity();
    await this.until(() => this.count('starting') === 0);
  }

  /** Runs one request on a worker. Rejects with a PoolError subclass. */
  submit(req: BackendRequest): Promise<unknown> {
    return new Promise((resolve, reject) => this.run(req, (err, result) => (err ? reject(err) : resolve(result))));
  }

  /**
   * The same with a callback, called exactly once, possibly before run() returns. The daemon's path
   * (server.ts): no promise and no microtask per request.
   */
  run(req: BackendRequest, answer: Answer): void {
    if (this.state !== 'running') {
      answer(new ShuttingDownError('the pool is shutting down'));
      return;
    }
    this.counters.accepted++;
    const worker = this.idle.pop();
    if (!worker) {
      const refusal = this.refusal(req);
      if (refusal) {
        this.counters.failed++;
        answer(refusal);
        this.ensureCapacity();
        return;
      }
    }
    const timeout = this.settings.requestTimeoutMs;
    const job: Job = { req, answer, retried: false, seq: 0, deadline: performance.now() + timeout, timer: setTimeout(() => this.expire(job), timeout) };
    if (worker) {
      this.assign(worker, job);
    } else {
      this.queue.push(job);
      if (this.queue.length > this.counters.maxQueueSeen) this.counters.maxQueueSeen = this.queue.length;
    }
    this.ensureCapacity();
  }

  /** Why a request that found no idle worker cannot wait for one, or null when it can. */
  private refusal(req: BackendRequest): PoolError | null {
    if (this.live() === 0 && this.inBackoff()) return this.noWorkerError();
    if (this.queue.length >= this.settings.maxQueue) {
      this.counters.rejectedBusy++;
      this.noteOverload(`queue full (${this.settings.maxQueue}): answered ERR_BUSY`);
      return new BusyError(`all ${this.live()} workers are busy and ${this.queue.length} requests are waiting`);
    }
    if (this.hopeless(req)) {
      this.counters.rejectedOverload++;
      this.noteOverload('queue would outlast the deadline: answered ERR_BUSY');
      return new BusyError(`${this.queue.length} requests are waiting: more than can be served within ${this.settings.requestTimeoutMs} ms`, 'overloaded');
    }
    return null;
  }

  status(): PoolStatus {
    const now = Date.now();
    return poolStatus({
      now,
      state: this.state,
      backend: this.backend.kind,
      startedAt: this.startedAt,
      settings: this.settings,
      counters: this.counters,
      queueLength: this.queue.length,
      spawnRate: this.spawnRate.rate,
      backoffMs: this.crashGuard.backoffMs(now),
      lastStartError: this.crashGuard.lastError,
      workers: [...this.workers],
    });
  }

  /** Stops taking requests, finishes the queued and running ones (bounded by their deadlines), then stops every worker. */
  async drain(): Promise<void> {
    if (this.state === 'new') this.state = 'closed';
    if (this.state === 'closed') return;
    this.state = 'draining';
    await this.until(() => this.queue.length === 0 && this.inFlight.size === 0);
    this.state = 'closed';
    clearInterval(this.tickTimer);
    this.idle.length = 0;
    for (const w of this.workers) if (w.state !== 'killing') w.terminate('stopping', this.settings.killGraceMs);
    await this.until(() => this.workers.size === 0);
  }

  /** Ends everything now: pending requests fail with ERR_SHUTTING_DOWN, workers are SIGKILLed. */
  async close(): Promise<void> {
    this.state = 'closed';
    clearInterval(this.tickTimer);
    for (const job of this.queue.splice(0)) this.settle(job, new ShuttingDownError('the pool was closed'));
    for (const [w, job] of this.inFlight) {
      this.inFlight.delete(w);
      this.settle(job, new ShuttingDownError('the pool was closed'));
    }
    this.idle.length = 0;
    for (const w of this.workers) {
      w.state = 'stopping';
      w.signal('SIGKILL');
    }
    await this.until(() => this.workers.size === 0);
  }

  private until(cond: () => boolean): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (!cond()) return;
        this.stateWaiters = this.stateWaiters.filter((w) => w !== check);
        resolve();
      };
      this.stateWaiters.push(check);
    });
  }

  private changed(): void {
    if (this.stateWaiters.length === 0) return;
    for (const w of [...this.stateWaiters]) w();
  }

  private count(state: WorkerHandle['state']): number {
    let n = 0;
    for (const w of this.workers) if (w.state === state) n++;
    return n;
  }

  /** Workers that can take work now or soon. */
  private live(starting = this.count('starting')): number {
    return starting + this.idle.length + this.inFlight.size;
  }

  private inBackoff(): boolean {
    return this.crashGuard.backoffMs() > 0;
  }

  private noWorkerError(): UnavailableError {
    return new UnavailableError(`no worker is running: ${this.crashGuard.lastError || 'workers fail to start'}`, 'no_worker');
  }

  private settle(job: Job, outcome: PoolError | { result: unknown }): void {
    clearTimeout(job.timer);
    if (outcome instanceof PoolError) {
      this.counters.failed++;
      job.answer(outcome);
    } else {
      this.counters.served++;
      job.answer(null, outcome.result);
    }
  }

  private assign(w: WorkerHandle, job: Job): void {
    job.seq = ++this.seq;
    w.state = 'busy';
    w.busySince = Date.now();
    w.lastOp = job.req.op;
    this.inFlight.set(w, job);
    if (this.inFlight.size > this.counters.maxActive) this.counters.maxActive = this.inFlight.size;
    // A closed channel means the worker is dying; its exit handler fails or retries the job.
    w.send({ t: 'req', seq: job.seq, req: job.req });
  }

  /**
   * Would a new request wait in the queue past its deadline? Answering it ERR_BUSY now beats
   * answering ERR_TIMEOUT later: the client learns at once, and no worker time goes into it.
   */
  private hopeless(req: BackendRequest): boolean {
    const wait = this.serviceTime.queueWait(this.queue.length, this.settings.maxWorkers);
    return wait + this.serviceTime.bound(req.op) > this.settings.requestTimeoutMs;
  }

  /**
   * A worker that just became free takes the oldest waiting request that still has time for a call,
   * or goes idle. One without that time is answered ERR_TIMEOUT from the queue: handed to the worker
   * it would only get the worker killed at its deadline.
   */
  private release(w: WorkerHandle): void {
    const now = this.queue.length > 0 ? performance.now() : 0;
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      // The slowest recent call and a quarter more, not the 90th percentile: a call that overruns
      // the deadline costs a worker (killed and restarted), far more than answering this one request
      // from the queue; and on a loaded machine one call in 33 is slower than the last 32.
      if (next.deadline - now < HANDOFF_MARGIN * this.serviceTime.ceiling(next.req.op)) {
        this.counters.timeouts++;
        this.counters.shed++;
        this.settle(next, new RequestTimeoutError(`too little time left before the ${this.settings.requestTimeoutMs} ms deadline for a worker call`, 'queued'));
        continue;
      }
      this.assign(w, next);
      return;
    }
    w.state = 'idle';
    w.idleSince = Date.now();
    this.idle.push(w);
  }

  private dispatchQueue(): void {
    while (this.queue.length > 0 && this.idle.length > 0) this.release(this.idle.pop()!);
  }

  private onMessage(w: WorkerHandle, msg: FromWorker): void {
    if (msg.t === 'ready') {
      if (w.state !== 'starting') return;
      clearTimeout(w.startTimer);
      this.crashGuard.started();
      logDebug(`worker ${w.pid} ready`);
      this.emit('ready', w.pid);
      if (this.state === 'closed') w.terminate('stopping', this.settings.killGraceMs);
      else this.release(w);
      this.changed();
      return;
    }
    const job = this.inFlight.get(w);
    if (w.state !== 'busy' || job === undefined || job.seq !== msg.seq) return; // late answer of a killed request
    this.inFlight.delete(w);
    w.requests++;
    w.lastDurationMs = Date.now() - w.busySince;
    // The call's own time, as the worker measured it: the daemon's event-loop lag during a burst
    // (it answers thousands of lines at once) is not what the next call will cost.
    this.serviceTime.learn(job.req.op, msg.ms ?? w.lastDurationMs);
    this.serviceTime.answered(performance.now(), this.queue.length > 0);
    this.settle(job, msg.ok ? { result: msg.result } : errorFromWire(msg.error.code, msg.error.message, msg.error.reason));
    if (this.settings.maxRequests > 0 && w.requests >= this.settings.maxRequests) {
      this.counters.recycled++;
      logDebug(`worker ${w.pid} retires after ${w.requests} requests`);
      w.terminate('stopping', this.settings.killGraceMs);
    } else {
      this.release(w);
    }
    this.ensureCapacity();
    this.changed();
  }

  private expire(job: Job): void {
    this.counters.timeouts++;
    const at = this.queue.indexOf(job);
    if (at !== -1) {
      this.queue.splice(at, 1);
      this.settle(job, new RequestTimeoutError(`no worker became free within ${this.settings.requestTimeoutMs} ms`, 'queued'));
      this.changed();
      return;
    }
    for (const [w, j] of this.inFlight) {
      if (j !== job) continue;
      this.inFlight.delete(w);
      this.counters.deadlineKills++;
      logWarning(`worker ${w.pid} exceeded the ${this.settings.requestTimeoutMs} ms deadline on ${describeRequest(job.req)}: killing it`);
      this.emit('timeout', w.pid);
      w.terminate('killing', this.settings.killGraceMs);
      this.settle(job, new RequestTimeoutError(`no answer within ${this.settings.requestTimeoutMs} ms`, 'deadline'));
      this.ensureCapacity();
      this.changed();
      return;
    }
  }

  private onExit(w: WorkerHandle, code: number | null, signal: NodeJS.Signals | null): void {
    this.workers.delete(w);
    const i = this.idle.indexOf(w);
    if (i !== -1) this.idle.splice(i, 1);
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const job = this.inFlight.get(w);
    this.inFlight.delete(w);
    this.emit('exit', { pid: w.pid, code, signal, state: w.state });
    if (w.state === 'starting') {
      this.startFailed(`worker ${w.pid} exited with ${how} before it was ready`);
    } else if (w.state !== 'stopping' && w.state !== 'killing') {
      this.counters.workerDeaths++;
      logWarning(`worker ${w.pid} died with ${how} while ${w.state}`);
    } else {
      logDebug(`worker ${w.pid} exited with ${how}`);
    }
    if (job) this.failOrRetry(job, w, how);
    if (this.live() === 0 && this.inBackoff()) {
      for (const queued of this.queue.splice(0)) this.settle(queued, this.noWorkerError());
    }
    this.dispatchQueue();
    this.ensureCapacity();
    this.changed();
  }

  private failOrRetry(job: Job, w: WorkerHandle, how: string): void {
    // Authentication is never retried: the first attempt may have counted toward a lockout.
    if (job.req.op !== 'auth' && !job.retried && this.state !== 'closed') {
      job.retried = true;
      this.counters.retries++;
      this.queue.unshift(job);
      return;
    }
    this.settle(job, new WorkerDiedError(`worker ${w.pid} died (${how}) during ${job.req.op}`, job.req.op === 'auth' ? 'not_retried' : 'retried'));
  }

  private startFailed(message: string): void {
    this.counters.startFailures++;
    const delay = this.crashGuard.failed(message);
    logWarning(`${message}; ${this.crashGuard.failures} start failure(s) in a row, next start in ${delay} ms`);
  }

  private spawn(): void {
    let w: WorkerHandle;
    try {
      w = new WorkerHandle(this.launch, this.backend, {
        message: (worker, msg) => this.onMessage(worker, msg),
        exit: (worker, code, signal) => this.onExit(worker, code, signal),
      });
    } catch (err) {
      this.startFailed(`cannot fork a worker: ${(err as Error).message}`);
      return;
    }
    this.counters.spawned++;
    this.workers.add(w);
    w.startTimer = setTimeout(() => {
      if (w.state === 'starting') w.signal('SIGKILL');
    }, this.settings.startTimeoutMs);
    logDebug(`worker ${w.pid} spawned`);
    this.emit('spawn', w.pid);
  }

  /** Spawns what is missing (spawn-policy.ts decides how many); nothing while backing off. */
  private ensureCapacity(): void {
    if (this.state === 'new' || this.state === 'closed' || this.inBackoff()) return;
    const starting = this.count('starting');
    const n = this.spawnRate.take({
      live: this.live(starting),
      starting,
      idle: this.idle.length,
      queued: this.queue.length,
      draining: this.state === 'draining',
      probing: this.crashGuard.failures > 0,
    });
    for (let i = 0; i < n; i++) this.spawn();
  }

  private tick(): void {
    const now = Date.now();
    this.spawnRate.tick();
    const live = this.live();
    const short = this.queue.length > 0 || this.idle.length < this.settings.minSpare;
    if (this.state === 'running' && short && live >= this.settings.maxWorkers) {
      this.counters.maxChildrenReached++;
      this.noteOverload(`all ${live} workers (maxWorkers) in use`);
    }
    this.emit('tick');
    this.ensureCapacity();
    this.reapOne(now);
    this.overload.flushIfDue();
  }

  /**
   * One surplus spare per tick: the oldest idle worker, once it has been idle for the timeout; never
   * a busy one. Idle workers are handed work most-recent-first, so the oldest are the ones left idle.
   */
  private reapOne(now: number): void {
    if (this.state !== 'running') return;
    if (this.idle.length <= this.settings.minSpare || this.live() <= this.settings.minWorkers) return;
    const victim = this.idle.reduce((a, b) => (b.startedAt < a.startedAt ? b : a));
    if (now - victim.idleSince < this.settings.idleTimeoutMs) return;
    this.idle.splice(this.idle.indexOf(victim), 1);
    this.counters.reaped++;
    logInfo(`reaping idle worker ${victim.pid} (${this.live()} left)`);
    victim.terminate('stopping', this.settings.killGraceMs);
    this.emit('reap', victim.pid);
  }

  private noteOverload(what: string): void {
    this.overload.count('warning', what);
  }
}
