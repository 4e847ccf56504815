/**
 * Waiting in tests: for an event, with a generous cap, never a fixed sleep standing in for one. On a
 * shared CI machine a fixed sleep is either too short (flaky) or too long (slow); the cap only bounds
 * a failure, so it is generous.
 */

/** What tests allow for an event that normally takes milliseconds, on a machine at 4x oversubscription. */
export const GENEROUS_MS = 30_000;

/**
 * How late a deadline may be kept on such a machine, where a process can wait hundreds of ms for a
 * CPU: tests of a deadline allow this much past it. The bugs they exist to catch (a timeout per
 * server, a retry after the deadline) cost whole multiples of it.
 */
export const LOADED_SLACK_MS = 500;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `check` (every `intervalMs`) until it returns something truthy, and returns that; fails with
 * `what` after `timeoutMs`. `check` may be async.
 */
export async function eventually<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = GENEROUS_MS,
  what = 'condition',
  intervalMs = 20,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
