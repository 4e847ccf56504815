/**
 * What the hook bundles (get_hosts, the LDM greeter) use that the Node of an LTSP 5 chroot may lack.
 * Chroots carry their distribution's nodejs: 8.10 on Ubuntu 18.04, 10.24 on Debian 10, 18.20 on
 * Debian 12. esbuild lowers the syntax to Node 8 (scripts/bundle.mjs, target node8); built-ins are
 * filled in here, each only where missing, so newer Node keeps its own. scripts/bundle.mjs injects
 * this module first into every hook bundle and nowhere else. test/shared/old-node.test.ts runs it
 * on each Node of the matrix and checks every entry below against the version that brought it.
 *
 *   built-in                          native since   filled in from
 *   Promise.prototype.finally         10.0           then()
 *   String.prototype.trimStart/End    10.0           trimLeft/trimRight
 *   Object.fromEntries                12.0           a loop over the entries
 *   URL, TextDecoder (globals)        10.0, 11.0     node:url, node:util (8.3)
 *   AbortController, AbortSignal      15.0           a minimal EventTarget-style signal, with
 *                                                    timeout() (native from 16.14; Node 15.0-16.13,
 *                                                    which no distribution shipped, lack it)
 *   performance.now (global)          16.0           process.hrtime, on every Node: Node's own
 *                                                    loads perf_hooks at first use (see below)
 *   util.parseArgs                    16.17, 18.3    ./parse-args.ts
 *   node:dns/promises (module)        15.0           ./dns-promises.ts (bundle alias, not here)
 *   stable Array.prototype.sort       V8 7.0, 11.0   index tie-break around the native sort
 */
import * as util from 'node:util';
import { parseArgs } from './parse-args.ts';

type Listener = (this: unknown, event: { type: string }) => void;
// `global`, not globalThis: globalThis itself is Node 12+.
const g = global as unknown as Record<string, unknown>;

function define(target: object, name: string, value: unknown): void {
  Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
}

if (typeof Promise.prototype.finally !== 'function') {
  define(Promise.prototype, 'finally', function <T>(this: Promise<T>, onFinally?: () => unknown) {
    if (typeof onFinally !== 'function') return this.then(onFinally, onFinally);
    return this.then(
      (value) => Promise.resolve(onFinally()).then(() => value),
      (reason) => Promise.resolve(onFinally()).then(() => { throw reason; }),
    );
  });
}

const strings = String.prototype as unknown as Record<string, unknown>;
if (typeof strings.trimStart !== 'function') define(String.prototype, 'trimStart', strings.trimLeft);
if (typeof strings.trimEnd !== 'function') define(String.prototype, 'trimEnd', strings.trimRight);

if (typeof (Object as { fromEntries?: unknown }).fromEntries !== 'function') {
  define(Object, 'fromEntries', (entries: Iterable<readonly [PropertyKey, unknown]>) => {
    const out: Record<PropertyKey, unknown> = {};
    for (const [key, value] of entries) out[key as string] = value;
    return out;
  });
}

if (typeof g.URL !== 'function') g.URL = require('node:url').URL;
if (typeof g.TextDecoder !== 'function') g.TextDecoder = util.TextDecoder;

if (typeof g.AbortController !== 'function') {
  /** Enough of AbortSignal for this code: aborted, reason, onabort, add/removeEventListener, throwIfAborted. */
  class AbortSignal {
    aborted = false;
    reason: unknown = undefined;
    onabort: Listener | null = null;
    private listeners: Array<{ fn: Listener; once: boolean }> = [];
    addEventListener(type: string, fn: Listener, options?: { once?: boolean } | boolean): void {
      if (type !== 'abort' || typeof fn !== 'function' || this.listeners.some((l) => l.fn === fn)) return;
      this.listeners.push({ fn, once: typeof options === 'object' && options !== null && options.once === true });
    }
    removeEventListener(type: string, fn: Listener): void {
      if (type === 'abort') this.listeners = this.listeners.filter((l) => l.fn !== fn);
    }
    throwIfAborted(): void {
      if (this.aborted) throw this.reason;
    }
    /** What AbortController#abort does; not part of the public surface. */
    _abort(reason: unknown): void {
      if (this.aborted) return;
      this.aborted = true;
      this.reason = reason === undefined ? abortError('This operation was aborted', 'AbortError') : reason;
      const event = { type: 'abort' };
      const listeners = this.listeners;
      this.listeners = listeners.filter((l) => !l.once);
      if (typeof this.onabort === 'function') this.onabort.call(this, event);
      for (const l of listeners) l.fn.call(this, event);
    }
    static timeout(ms: number): AbortSignal {
      const signal = new AbortSignal();
      // unref'd, as Node's own: a pending timeout signal never keeps the process alive.
      setTimeout(() => signal._abort(abortError('The operation was aborted due to timeout', 'TimeoutError')), ms).unref();
      return signal;
    }
  }
  class AbortController {
    readonly signal = new AbortSignal();
    abort(reason?: unknown): void {
      this.signal._abort(reason);
    }
  }
  g.AbortSignal = AbortSignal;
  g.AbortController = AbortController;
}

function abortError(message: string, name: string): Error {
  const err = new Error(message);
  err.name = name;
  if (name === 'AbortError') (err as NodeJS.ErrnoException).code = 'ABORT_ERR';
  return err;
}

// performance.now() is all the hook bundles use of `performance`. Node 16+ has the global, but as a
// lazy accessor that loads perf_hooks and ten internal modules on first use: about 1 ms, and 0.8 MiB
// of peak RSS alone (0.2 MiB in a get_hosts run, where node:net loads part of it anyway). So on
// every Node these bundles get a light monotonic clock instead (process.hrtime, which Node 8 has),
// replacing the accessor before anything reads it.
const clockOrigin = process.hrtime();
define(g, 'performance', {
  now(): number {
    const [s, ns] = process.hrtime(clockOrigin);
    return s * 1e3 + ns / 1e6;
  },
});

if (typeof (util as { parseArgs?: unknown }).parseArgs !== 'function') {
  // esbuild reads util.parseArgs off the module object at each call, so setting it here is enough.
  define(require('node:util'), 'parseArgs', parseArgs);
}

// V8 before 7.0 (Node < 11) sorts arrays over 10 elements with an unstable quicksort: servers with
// equal scores would come out in another order than on newer Node. A tie-break on the original
// index restores the order every newer Node gives.
if (Number(process.versions.v8.split('.')[0]) < 7) {
  const nativeSort = Array.prototype.sort;
  define(Array.prototype, 'sort', function <T>(this: T[], compare?: (a: T, b: T) => number): T[] {
    if (typeof compare !== 'function' || this.length <= 10) return nativeSort.call(this, compare);
    for (let i = 0; i < this.length; i++) if (!(i in this) || this[i] === undefined) return nativeSort.call(this, compare);
    const tagged = this.map((value, index) => ({ value, index }));
    nativeSort.call(tagged, (a, b) => compare(a.value, b.value) || a.index - b.index);
    for (let i = 0; i < tagged.length; i++) this[i] = tagged[i]!.value;
    return this;
  });
}
