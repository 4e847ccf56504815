/**
 * Waiting for an event in tests, never for a fixed time: on a shared CI machine a fixed sleep is
 * either too short (flaky) or too long (slow). `waitUntil` polls a condition (sync or async) and
 * returns its first truthy value; the cap only bounds a failure, so it is generous by default.
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

export async function waitUntil<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  opts: { timeoutMs?: number; what?: string; intervalMs?: number } = {},
): Promise<T> {
  const { timeoutMs = GENEROUS_MS, what = 'condition', intervalMs = 20 } = opts;
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
