/**
 * Bundled exactly as a hook command (scripts/bundle.mjs bundleFile, hook: true), run on each Node of
 * the matrix by test/shared/old-node.test.ts: exercises every built-in shared/old-node fills in and
 * prints one JSON object, { checks: { name: true | "what went wrong" }, parseArgs: [...] }.
 * argv[2] is JSON { options, cases }: util.parseArgs options and argument lists, each parsed with
 * strict: true and no positionals, for the test to compare with Node's own parseArgs.
 */
import { lookup } from 'node:dns/promises';
import { parseArgs } from 'node:util';

const checks: Record<string, true | string> = {};
async function check(name: string, fn: () => unknown): Promise<void> {
  try {
    const r = await fn();
    checks[name] = r === true ? true : `returned ${JSON.stringify(r)}`;
  } catch (err) {
    checks[name] = `threw ${(err as Error).stack ?? String(err)}`;
  }
}

async function main(): Promise<void> {
  await check('Promise.prototype.finally', async () => {
    const order: string[] = [];
    const v = await Promise.resolve(7).finally(() => void order.push('f'));
    const e = await Promise.reject(new Error('x')).finally(() => void order.push('g')).catch((err: Error) => err.message);
    return v === 7 && e === 'x' && order.join() === 'f,g';
  });
  await check('String.prototype.trimStart/trimEnd', () => '  a  '.trimStart() === 'a  ' && '  a  '.trimEnd() === '  a');
  await check('Object.fromEntries', () => JSON.stringify(Object.fromEntries(new Map<string, number>([['a', 1], ['b', 2]]))) === '{"a":1,"b":2}');
  await check('URL', () => new URL('http://lb.example:8008/x?y').port === '8008');
  await check('TextDecoder (fatal)', () => {
    if (new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from('é')) !== 'é') return false;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from([0xff]));
      return false;
    } catch {
      return true;
    }
  });
  await check('AbortController', () => {
    const c = new AbortController();
    const seen: string[] = [];
    const once = (): void => void seen.push('once');
    const removed = (): void => void seen.push('removed');
    c.signal.addEventListener('abort', once, { once: true });
    c.signal.addEventListener('abort', removed);
    c.signal.removeEventListener('abort', removed);
    const before = c.signal.aborted;
    c.abort();
    c.abort();
    let threw = false;
    try {
      c.signal.throwIfAborted();
    } catch (err) {
      threw = (err as Error).name === 'AbortError';
    }
    return !before && c.signal.aborted && seen.join() === 'once' && threw;
  });
  await check('AbortSignal.timeout', () =>
    new Promise((resolve) => {
      // The signal's own timer is unref'd (as Node's is): this one keeps the probe alive meanwhile.
      const guard = setTimeout(() => resolve('did not fire in 5 s'), 5000);
      const s = AbortSignal.timeout(5);
      s.addEventListener('abort', () => {
        clearTimeout(guard);
        resolve(s.aborted && (s.reason as Error).name === 'TimeoutError');
      });
    }));
  await check('performance.now', () => typeof performance.now() === 'number' && performance.now() >= 0);
  await check('dns/promises lookup', async () => ['127.0.0.1', '::1'].includes((await lookup('localhost')).address));
  await check('stable sort', () => {
    const a = Array.from({ length: 40 }, (_, i) => ({ key: i % 3, i }));
    a.sort((x, y) => x.key - y.key);
    return a.every((x, n) => n === 0 || a[n - 1]!.key < x.key || a[n - 1]!.i < x.i);
  });
  const { options, cases } = JSON.parse(process.argv[2] ?? '{"options":{},"cases":[]}') as { options: Record<string, { type: 'string' | 'boolean'; short?: string }>; cases: string[][] };
  const parsed = cases.map((args) => {
    try {
      const r = parseArgs({ args, strict: true, allowPositionals: false, options });
      return { values: { ...r.values }, positionals: r.positionals };
    } catch (err) {
      return { error: (err as { code?: string }).code };
    }
  });
  process.stdout.write(`${JSON.stringify({ checks, parseArgs: parsed })}\n`);
}

void main();
