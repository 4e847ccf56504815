/**
 * The advertise daemon: samples /proc and utmp, keeps both documents rendered, answers TCP and UDP
 * on one port, reloads its config file on SIGHUP, logs its counters on SIGUSR1 and drains on SIGTERM.
 * Resolves with the exit code once it has stopped.
 */
import { hostname as osHostname } from 'node:os';
import { describeError } from '../shared/errors.ts';
import { isMissing } from './sampler.ts';
import { stopSignal } from '../shared/daemon-lifecycle.ts';
import { EXIT } from '../shared/exit-codes.ts';
import { listenFds } from '../shared/listen-fds.ts';
import { logError, logInfo, logWarning, ThrottledLog } from '../shared/log.ts';
import { systemdNotifier } from '../shared/systemd/notify.ts';
import { readConfigFile } from './config-file.ts';
import { newCounters } from './counters.ts';
import { buildAdvertisement, renderDocuments, wireHostname, type Documents } from './document.ts';
import { adoptListeners, bindListeners, type Listeners } from './listen.ts';
import { SourceRateLimiter } from './rate-limit.ts';
import { Sampler } from './sampler.ts';
import { AfterFlood } from './after-flood.ts';
import { mergeSettings, type Settings } from './settings.ts';
import { SourceFilter } from './source-filter.ts';
import { formatStatus, serveStatus, type StatusReport } from './status.ts';
import { createTcpResponder } from './tcp-responder.ts';
import { attachUdpResponder } from './udp-responder.ts';
import { advertiseMetrics } from './metrics.ts';
import { PoolSummaryFile } from './pool-summary.ts';
import type { PoolSummary } from '../shared/wire/advertisement.ts';
import { startMetrics } from '../shared/metrics/publish.ts';

export interface DaemonOptions {
  address: string;
  port: number;
  procfs: string;
  utmp: string;
  configPath: string | undefined;
  /** Settings given as flags: they win over the config file, also after a reload. */
  flagSettings: Partial<Settings>;
  hostname: string | undefined;
  interfaces: string[];
  statusSocket: string;
  /** Prometheus metrics: an HTTP endpoint and/or node_exporter's textfile directory (both off by default). */
  metrics?: { host: string; port: number };
  metricsTextfile?: string;
  /** The winbind pool's summary file; advertised as <pool> when present and fresh. */
  poolSummary?: string;
}

/** How often repeated events (bad datagrams, failing /proc files) are summarised in the log. */
export const LOG_SUMMARY_INTERVAL_MS = 10_000;

export async function runDaemon(opts: DaemonOptions): Promise<number> {
  const started = performance.now();
  const fileSettings = opts.configPath ? await readConfigFile(opts.configPath) : {};
  let settings = mergeSettings(fileSettings, opts.flagSettings);
  const counters = newCounters();
  const afterFlood = new AfterFlood();
  const throttled = new ThrottledLog(LOG_SUMMARY_INTERVAL_MS);
  const limiter = new SourceRateLimiter(settings.rateLimit, settings.rateBurst);
  const filter = opts.interfaces.length > 0 ? new SourceFilter(opts.interfaces) : undefined;
  const hostname = wireHostname(opts.hostname ?? osHostname());

  const sampler = new Sampler({
    procfs: opts.procfs,
    utmpPath: opts.utmp,
    onError(source, err, repeated) {
      counters.sourceErrors++;
      const fallback =
        source === 'utmp' && isMissing(err) ? 'counting no sessions' : 'serving its last good values';
      if (!repeated) logWarning(`cannot read ${source}: ${describeError(err)}; ${fallback}`);
      else throttled.count('warning', `${source} still unreadable (${describeError(err)})`);
    },
    onRecovered: (source) => logInfo(`${source} readable again`),
  });
  let pool: PoolSummary | undefined;
  let poolFailing = false;
  // Read when the document is rendered (each sample), and even then only after the file changed.
  const poolFile = opts.poolSummary ? new PoolSummaryFile(opts.poolSummary) : undefined;
  const readPool = () => {
    if (!poolFile) return;
    try {
      pool = poolFile.current();
      poolFailing = false;
    } catch (err) {
      pool = undefined;
      if (!poolFailing) logWarning(`pool summary not advertised: ${describeError(err)}`);
      poolFailing = true;
    }
  };
  readPool();
  let docs: Documents;
  let renderedAt = performance.now();
  const render = () => {
    renderedAt = performance.now();
    const ad = buildAdvertisement(sampler.measurements, settings, hostname, (performance.now() - started) / 1000);
    if (pool) ad.pool = pool;
    docs = renderDocuments(ad);
  };
  await sampler.sample();
  render();

  const tcp = createTcpResponder({
    document: () => docs.tcp,
    counters,
    filter,
    throttled,
    writeTimeoutMs: () => settings.writeTimeoutMs,
    limits: () => settings,
  });
  const activated = listenFds();
  let listeners: Listeners;
  try {
    listeners = activated.length > 0 ? await adoptListeners(activated, tcp.server) : await bindListeners(opts.address, opts.port, tcp.server);
  } catch (err) {
    tcp.server.close();
    throw err;
  }
  attachUdpResponder(listeners.udp, { document: () => docs.udp, counters, limiter, filter, throttled });

  const report = (): StatusReport => ({
    pid: process.pid,
    hostname,
    state: docs.ad.state,
    weight: docs.ad.weight,
    rating: docs.ad.rating,
    sessions: docs.ad.sessions,
    users: docs.ad.users,
    daemonUptimeSec: (performance.now() - started) / 1000,
    listening: listeners.describe,
    settings: { ...settings, interfaces: filter?.allowed ?? [] },
    trackedSources: limiter.size,
    openTcpConnections: tcp.open.size,
    counters: { ...counters },
  });
  const status = await serveStatus(opts.statusSocket, report).catch((err: unknown) => {
    logWarning(`no status socket at ${opts.statusSocket}: ${describeError(err)} (SIGUSR1 still logs the counters)`);
    return undefined;
  });

  const metrics =
    opts.metrics || opts.metricsTextfile
      ? await startMetrics({
          render: () => advertiseMetrics(report(), (performance.now() - renderedAt) / 1000),
          listen: opts.metrics,
          textfile: opts.metricsTextfile ? { dir: opts.metricsTextfile, name: 'ltsp_advertise', intervalMs: 15_000 } : undefined,
        })
      : undefined;

  let missingInterfaces = '';
  const refreshFilter = () => {
    const missing = (filter?.refresh() ?? []).join(', ');
    if (missing === missingInterfaces) return;
    if (missing) logWarning(`--interface ${missing} has no address: nobody there is answered`);
    else logInfo(`--interface: answering ${filter!.allowed.join(' ')}`);
    missingInterfaces = missing;
  };
  refreshFilter();
  sampler.start(
    () => settings.sampleIntervalMs,
    () => {
      readPool();
      render();
      refreshFilter();
      limiter.sweep();
      afterFlood.check(tcp.open.size);
    },
  );
  const summaryTimer = setInterval(() => throttled.flush(), LOG_SUMMARY_INTERVAL_MS);

  const describeSettings = () =>
    `state ${settings.drain ? 'draining' : 'accepting'}, weight ${settings.weight}, rate limit ${settings.rateLimit || 'off'}/s burst ${settings.rateBurst}`;
  const reload = async () => {
    if (!opts.configPath) {
      logInfo('SIGHUP: no --config file to reload');
      return;
    }
    try {
      const next = mergeSettings(await readConfigFile(opts.configPath), opts.flagSettings);
      settings = next;
      limiter.configure(settings.rateLimit, settings.rateBurst);
      render();
      counters.configReloads++;
      logInfo(`reloaded ${opts.configPath}: ${describeSettings()}`);
    } catch (err) {
      counters.configErrors++;
      logError(`SIGHUP: ${describeError(err)}; keeping the previous settings`);
    }
  };
  const onHup = () => void reload();
  const onUsr1 = () => logInfo(`status: ${formatStatus(report()).trim().replace(/\s*\n/g, '; ').replace(/ {2,}/g, ' ')}`);

  process.on('SIGHUP', onHup).on('SIGUSR1', onUsr1);
  const stop = stopSignal();
  const notifier = systemdNotifier();
  // Announced only now: whoever waits for this line may signal us at once, and a SIGTERM that came
  // before the handlers would kill the daemon without draining.
  logInfo(
    `ltsp-server-advertise ${process.pid} listening on ${listeners.describe}; ${describeSettings()}; procfs ${opts.procfs}, utmp ${opts.utmp}` +
      (filter ? `; answering only ${filter.allowed.join(' ') || '(no subnet yet)'}` : ''),
  );
  // Type=notify: the first document is rendered and the sockets answer.
  notifier.ready(`answering on ${listeners.describe}; ${describeSettings()}`);
  const signal = await stop.received;
  notifier.stopping(`${signal}: finishing ${tcp.open.size} open TCP connection(s)`);
  process.off('SIGHUP', onHup).off('SIGUSR1', onUsr1);
  sampler.stop();
  poolFile?.close();
  clearInterval(summaryTimer);
  status?.close();
  await metrics?.close();
  listeners.udp.close();
  // Open connections end by themselves within write_timeout_ms; this only guards a stuck close.
  const force = setTimeout(() => {
    for (const socket of tcp.open.keys()) socket.destroy();
  }, settings.writeTimeoutMs + 1000);
  const closed = new Promise<void>((resolve) => tcp.server.close(() => resolve()));
  // Logged once the listeners are closed: whoever reads this line gets "connection refused".
  logInfo(`${signal}: no new queries; finishing ${tcp.open.size} open TCP connection(s)`);
  await closed;
  clearTimeout(force);
  stop.dispose();
  throttled.flush();
  logInfo(`stopped after ${counters.udpServed} UDP and ${counters.tcpServed} TCP answers`);
  return EXIT.ok;
}
