/**
 * Messages between the pool and a worker over the child_process IPC channel. The pool checks what a
 * worker sends as it checks what a client sends: a worker is a separate process and may be broken.
 */
import { isWireErrorCode } from './errors.ts';
import type { BackendRequest, WireError } from './protocol.ts';
import type { BackendSpec } from './settings.ts';

export type ToWorker = { t: 'init'; backend: BackendSpec } | { t: 'req'; seq: number; req: BackendRequest };

/** `ms`: how long the backend call itself took, measured in the worker (no IPC, no daemon lag). */
export type FromWorker =
  | { t: 'ready' }
  | { t: 'res'; seq: number; ms?: number; ok: true; result: unknown }
  | { t: 'res'; seq: number; ms?: number; ok: false; error: WireError };

/**
 * The message, or null when it is not one a worker may send. A served answer (one per request, the
 * hot path) is checked in place: it was just parsed from the channel and belongs to no one else.
 */
export function checkFromWorker(msg: unknown): FromWorker | null {
  if (typeof msg !== 'object' || msg === null) return null;
  const m = msg as Record<string, unknown>;
  if (m.t === 'ready') return { t: 'ready' };
  if (m.t !== 'res' || typeof m.seq !== 'number') return null;
  const validMs = typeof m.ms === 'number' && Number.isFinite(m.ms) && m.ms >= 0;
  if (m.ok === true) {
    if (!validMs) delete m.ms;
    m.result ??= null;
    return m as FromWorker;
  }
  const ms = validMs ? { ms: m.ms as number } : {};
  const e = m.error as Record<string, unknown> | undefined;
  if (m.ok !== false || typeof e !== 'object' || e === null || !isWireErrorCode(e.code) || typeof e.message !== 'string') return null;
  const error: WireError = { code: e.code, message: e.message.slice(0, 1000) };
  if (typeof e.reason === 'string') error.reason = e.reason.slice(0, 100);
  return { t: 'res', seq: m.seq, ...ms, ok: false, error };
}
