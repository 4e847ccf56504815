/**
 * Guaranteed teardown of network namespaces: whatever happens to the process that made them
 * (a failed assertion, an uncaught exception, Ctrl-C, SIGTERM from a test runner), the namespaces
 * it registered here are emptied and deleted by a synchronous exit hook. SIGKILL cannot be caught:
 * the next run removes such leftovers, recognised by the prefix and the dead owner pid in the name.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { runCommandSync } from '../../admin/run-command.ts';

export const NAMESPACE_PREFIX = 'ltspf';
/** `ltspf<pid>-<n>-<host>`: the pid of the process that owns the namespace. */
const OWNED_NAME = new RegExp(`^${NAMESPACE_PREFIX}(\\d+)-`);

const live = new Set<string>();
let hooked = false;

function onSignal(sig: NodeJS.Signals): void {
  removeNamespacesSync([...live]);
  live.clear();
  unhook();
  // Re-raise with the default action, so the exit status says which signal ended us.
  process.kill(process.pid, sig);
}
const onExit = (): void => removeNamespacesSync([...live]);
const onSigint = (): void => onSignal('SIGINT');
const onSigterm = (): void => onSignal('SIGTERM');
const onSighup = (): void => onSignal('SIGHUP');

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', onExit);
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  process.once('SIGHUP', onSighup);
}

function unhook(): void {
  if (!hooked) return;
  hooked = false;
  process.off('exit', onExit);
  process.off('SIGINT', onSigint);
  process.off('SIGTERM', onSigterm);
  process.off('SIGHUP', onSighup);
}

export function registerNamespace(name: string): void {
  live.add(name);
  hook();
}

export function forgetNamespace(name: string): void {
  live.delete(name);
  if (live.size === 0) unhook();
}

/** Kills every process still inside each namespace (SIGKILL: this is the last resort), then deletes it. */
export function removeNamespacesSync(names: readonly string[]): void {
  for (const ns of names) {
    const pids = runCommandSync(['ip', 'netns', 'pids', ns]).stdout.split(/\s+/).filter(Boolean).map(Number);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    runCommandSync(['ip', 'netns', 'delete', ns]);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function listFleetNamespaces(): string[] {
  try {
    return readdirSync('/run/netns').filter((n) => n.startsWith(NAMESPACE_PREFIX));
  } catch {
    return [];
  }
}

/**
 * Deletes namespaces left by earlier runs whose owner process is gone (or all of ours with
 * `includeLive`, for an administrator cleaning up by hand). Returns the names removed. `only`
 * limits it to those names (a test cleans what it made, never another run's leftovers).
 */
export function cleanupLeftovers(options: { includeLive?: boolean; only?: readonly string[] } = {}): string[] {
  const stale = listFleetNamespaces().filter((n) => {
    if (options.only && !options.only.includes(n)) return false;
    const owner = Number(OWNED_NAME.exec(n)?.[1]);
    if (!Number.isInteger(owner) || owner <= 0) return false;
    if (owner === process.pid) return false;
    return options.includeLive === true || !pidAlive(owner);
  });
  removeNamespacesSync(stale);
  if (!options.only) removeStaleQueues();
  return stale;
}

/** Queues the fleet's bridges (`/ltspf<pid>-...`) and the demo's (`/ltsp-demo-<pid>-...`) create. */
const OWNED_QUEUE = /^(?:ltspf|ltsp-demo-)(\d+)-/;

/**
 * POSIX message queues outlive their processes, and a bridge leaves its queues for the greeter on
 * purpose: those of runs whose owner is gone are removed here. Unlinking the file in the mqueue
 * file system is mq_unlink(3); where /dev/mqueue is not mounted there is nothing to list.
 */
export function removeStaleQueues(dir = '/dev/mqueue'): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const stale = names.filter((n) => {
    const owner = Number(OWNED_QUEUE.exec(n)?.[1]);
    return Number.isInteger(owner) && owner > 0 && owner !== process.pid && !pidAlive(owner);
  });
  for (const n of stale) {
    try {
      unlinkSync(`${dir}/${n}`);
    } catch {
      // removed meanwhile
    }
  }
  return stale;
}
