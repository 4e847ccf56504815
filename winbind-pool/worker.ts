/**
 * A worker process: loads one backend, then answers one request at a time over the IPC channel.
 *
 * Backend calls are synchronous, so while one runs the event loop is stopped: a SIGTERM handler only
 * runs between calls. That is intended: a worker asked to stop finishes its call first, and a worker
 * stuck in a call does not react to SIGTERM at all, which is why the pool follows up with SIGKILL.
 */
import { logError } from '../shared/log.ts';
import { InternalError, PoolError } from './errors.ts';
import type { ToWorker } from './worker-ipc.ts';
import { EXIT } from '../shared/exit-codes.ts';
import { callBackend, loadBackend, type Backend, type BackendLoader } from './backends/backend.ts';

/** Die with the pool even if it is SIGKILLed while this worker is blocked in a call. */
async function dieWithParent(): Promise<void> {
  try {
    const koffi = (await import('koffi')).default;
    const prctl = koffi.load('libc.so.6').func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)');
    const PR_SET_PDEATHSIG = 1;
    const SIGKILL = 9;
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  } catch {
    // Not glibc: the 'disconnect' handler still ends an idle orphan.
  }
}

function send(msg: unknown): void {
  process.send?.(msg);
}

/** `load` is the shipped loader; a testing entry point passes one that knows its test backends too. */
export async function runWorker(load: BackendLoader = loadBackend): Promise<void> {
  if (!process.send) {
    logError('this is a worker of ltsp-winbind-pool serve and cannot run on its own');
    process.exit(EXIT.usage);
  }
  // The handler is attached before anything is awaited, so the pool's first message cannot arrive
  // with nobody listening.
  const deathSignal = dieWithParent();
  // Ctrl-C in a terminal reaches the whole process group: the daemon decides when workers go.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => process.exit(EXIT.ok));
  process.on('disconnect', () => process.exit(EXIT.ok));

  let backend: Backend | undefined;
  process.on('message', async (raw: ToWorker) => {
    if (raw?.t === 'init' && backend === undefined) {
      try {
        await deathSignal;
        backend = await load(raw.backend);
      } catch (err) {
        logError(`worker ${process.pid}: cannot load the ${raw.backend.kind} backend: ${(err as Error).message}`);
        process.exit(EXIT.failure); // the pool counts it as a start failure
      }
      send({ t: 'ready' });
      return;
    }
    if (raw?.t !== 'req' || backend === undefined) return;
    const started = performance.now();
    try {
      const result = callBackend(backend, raw.req);
      send({ t: 'res', seq: raw.seq, ms: performance.now() - started, ok: true, result });
    } catch (err) {
      const e = err instanceof PoolError ? err : new InternalError(`backend failure: ${(err as Error)?.message ?? String(err)}`, 'exception');
      const error = { code: e.code, message: e.message, ...(e.reason === undefined ? {} : { reason: e.reason }) };
      send({ t: 'res', seq: raw.seq, ms: performance.now() - started, ok: false, error });
    }
  });
}
