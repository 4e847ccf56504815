/**
 * The wrapper's settings, then the wrapper runs until LDM is done. LDM starts it, so lts.conf is
 * already in its environment (ltsp_config exports every value before LDM runs): its own keys below
 * are read from there; the decision's keys (get_hosts') through loadSettings, environment first,
 * then lts.conf, exactly as get_hosts reads them.
 *
 *   LDM_BALANCE_GREETER             the real greeter: an absolute path, or a name looked up where LDM
 *                                   looks (LDM_EXEC_DIR: /usr/lib/ldm, /usr/libexec/ldm); ldmgtkgreet
 *   LDM_BALANCE_GREETER_MENU        Y: show the status menu in the greeter (default Y)
 *   LDM_BALANCE_GREETER_REPLY_MS    how long to wait for the greeter's own hostname answer (2000)
 *   LDM_BALANCE_GREETER_LOG         also append the log here (LDM's screen script sends stderr to /dev/null)
 *   LDM_BALANCE_BRIDGE_OUTPUT       the bridge's choice file (/run/ltsp-balance/choice)
 */
import { accessSync, appendFileSync, constants, realpathSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ConfigError } from '../shared/errors.ts';
import { logWarning, setLogSink } from '../shared/log.ts';
import { localIdentity } from '../ltsp/identity.ts';
import { formatWarning, loadSettings } from '../balance/settings.ts';
import { parseBoolean, parseNumber, parsePath } from '../balance/setting-values.ts';
import { runWrapper } from './wrapper.ts';

/** Where LDM itself finds a greeter given by name (src/ldm.c: LDM_EXEC_DIR, $(libexecdir)/ldm). */
export const LDM_EXEC_DIRS = ['/usr/lib/ldm', '/usr/libexec/ldm'];
export const DEFAULT_GREETER = 'ldmgtkgreet';
export const DEFAULT_CHOICE_PATH = '/run/ltsp-balance/choice';

export async function runGreeterWrapper(env: NodeJS.ProcessEnv, self: string): Promise<number> {
  const logPath = env.LDM_BALANCE_GREETER_LOG;
  if (logPath && 'ok' in parsePath(logPath)) {
    setLogSink((line) => {
      process.stderr.write(line);
      try {
        appendFileSync(logPath, `${new Date().toISOString()} ltsp-balance-greeter[${process.pid}]: ${line}`);
      } catch {
        // the log is a convenience: never a reason to fail a login
      }
    });
  }
  const identity = localIdentity();
  const { settings, warnings } = loadSettings({ env, ...identity });
  for (const w of warnings) logWarning(formatWarning(w));
  const flag = <T>(key: string, parse: (v: string) => { ok: T } | { error: string }, fallback: T): T => {
    const v = env[key];
    if (v === undefined || v === '') return fallback;
    const r = parse(v.trim());
    if ('ok' in r) return r.ok;
    logWarning(`environment: ${key}=${JSON.stringify(v.slice(0, 80))} ${r.error}; using ${String(fallback)}`);
    return fallback;
  };
  return runWrapper({
    greeter: pickGreeter(env.LDM_BALANCE_GREETER?.trim() || DEFAULT_GREETER, self),
    env,
    settings,
    clientKey: identity.mac ?? identity.hostname,
    choicePath: flag('LDM_BALANCE_BRIDGE_OUTPUT', parsePath, DEFAULT_CHOICE_PATH),
    menu: flag('LDM_BALANCE_GREETER_MENU', parseBoolean, true),
    greeterReplyMs: flag('LDM_BALANCE_GREETER_REPLY_MS', parseNumber(10, 600_000, true), 2000),
    menuRefreshMs: 10_000,
    fromLdm: process.stdin,
    toLdm: process.stdout,
  });
}

/**
 * The configured greeter, else the stock one: a typo in LDM_BALANCE_GREETER must not cost the
 * login screen when ldmgtkgreet is there.
 */
function pickGreeter(name: string, self: string): string {
  try {
    return findGreeter(name, self);
  } catch (err) {
    if (name === DEFAULT_GREETER) throw err;
    logWarning(`${(err as Error).message}: starting ${DEFAULT_GREETER} instead`);
    return findGreeter(DEFAULT_GREETER, self);
  }
}

/** The real greeter's path; never the wrapper itself (LDM_BALANCE_GREETER pointing back would loop). */
export function findGreeter(name: string, self: string): string {
  const candidates = isAbsolute(name) ? [name] : name.includes('/') ? [] : LDM_EXEC_DIRS.map((d) => join(d, name));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
    } catch {
      continue;
    }
    if (realpathSync(path) === realpathSync(self)) throw new ConfigError('LDM_BALANCE_GREETER', `LDM_BALANCE_GREETER ${path} is this wrapper itself: set it to the real greeter (ldmgtkgreet)`);
    return path;
  }
  throw new ConfigError('LDM_BALANCE_GREETER', `greeter ${JSON.stringify(name)} not found or not executable (looked in ${candidates.join(', ') || 'nowhere: a relative path'})`);
}
