/**
 * Readiness, status and watchdog keep-alives for systemd (sd_notify(3)), shared by the daemons.
 * Node cannot open the Unix datagram socket that NOTIFY_SOCKET names, so the message goes through
 * libsystemd's own sd_notify, called with koffi. Without NOTIFY_SOCKET (not started by systemd, or
 * Type= is not notify) every call is a no-op and neither koffi nor libsystemd is loaded.
 *
 * Child processes (workers) must not inherit NOTIFY_SOCKET's meaning: systemd only listens to the
 * main process by default (NotifyAccess=main), and nothing here is ever called from a worker.
 */
import { createRequire } from 'node:module';
import { logWarning } from '../log.ts';

type SdNotify = (unsetEnvironment: number, state: string) => number;
type SdWatchdogEnabled = (unsetEnvironment: number, usec: [bigint | number]) => number;

interface Libsystemd {
  notify: SdNotify;
  watchdogEnabled: SdWatchdogEnabled;
}

function loadLibsystemd(): Libsystemd {
  const koffi = createRequire(import.meta.url)('koffi') as {
    load(path: string): { func(proto: string): (...args: unknown[]) => number };
  };
  const lib = koffi.load('libsystemd.so.0');
  return {
    notify: lib.func('int sd_notify(int unset_environment, const char *state)') as SdNotify,
    watchdogEnabled: lib.func('int sd_watchdog_enabled(int unset_environment, _Out_ uint64_t *usec)') as SdWatchdogEnabled,
  };
}

export interface Notifier {
  /** True when systemd listens (NOTIFY_SOCKET set and libsystemd loaded). */
  readonly active: boolean;
  /** The watchdog period systemd asked for (WatchdogSec=, for this pid), in ms; undefined when none. */
  readonly watchdogMs: number | undefined;
  /** READY=1 with a STATUS= line: the service is up (Type=notify units wait for this). */
  ready(status: string): void;
  status(text: string): void;
  /** STOPPING=1: shutting down; systemd then waits for the exit instead of restarting on a timeout. */
  stopping(status: string): void;
  /**
   * WATCHDOG=1 now, and keeps sending it every half period as long as nothing else does (the timer
   * is pushed back by each call, so a daemon that calls this from its own regular work makes no
   * extra wake-ups). The timer never keeps the process alive.
   */
  keepAlive(): void;
  /** Stops the keep-alive timer. */
  close(): void;
}

/** Status lines are one line; systemd shows them in `systemctl status`. */
function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ').slice(0, 512);
}

/**
 * The notifier for this process. libsystemd reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID
 * from the process environment itself, so there is no other environment to pass.
 */
export function systemdNotifier(): Notifier {
  if (!process.env.NOTIFY_SOCKET) return inactiveNotifier;
  let lib: Libsystemd;
  try {
    lib = loadLibsystemd();
  } catch (err) {
    logWarning(`NOTIFY_SOCKET is set but libsystemd.so.0 did not load (${(err as Error).message}): systemd will not hear that this service is ready`);
    return inactiveNotifier;
  }
  let warned = false;
  const send = (state: string): void => {
    const r = lib.notify(0, state);
    if (r < 0 && !warned) {
      warned = true;
      logWarning(`sd_notify(${state.split('\n')[0]}) failed: error ${-r}`);
    }
  };
  const usec: [bigint | number] = [0];
  const watchdogMs = lib.watchdogEnabled(0, usec) > 0 ? Number(usec[0]) / 1000 : undefined;
  let timer: NodeJS.Timeout | undefined;
  return {
    active: true,
    watchdogMs,
    ready: (status) => send(`READY=1\nSTATUS=${oneLine(status)}`),
    status: (text) => send(`STATUS=${oneLine(text)}`),
    stopping: (status) => send(`STOPPING=1\nSTATUS=${oneLine(status)}`),
    keepAlive() {
      if (watchdogMs === undefined) return;
      send('WATCHDOG=1');
      if (timer) timer.refresh();
      else {
        timer = setInterval(() => send('WATCHDOG=1'), Math.max(1, watchdogMs / 2));
        timer.unref();
      }
    },
    close() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}

/** The notifier of a process systemd does not listen to (and of in-process tests). */
export const inactiveNotifier: Notifier = {
  active: false,
  watchdogMs: undefined,
  ready: () => undefined,
  status: () => undefined,
  stopping: () => undefined,
  keepAlive: () => undefined,
  close: () => undefined,
};
