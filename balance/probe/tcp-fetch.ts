/**
 * The TCP side of a survey: connect, read what the server sends until it closes, never more than
 * the document limit. A server that sends 100 MB is cut off at limit + 1 bytes (nothing beyond that
 * is ever buffered); a server that drips one byte a second is cut off by the caller's abort signal.
 */
import { connect } from 'node:net';
import { MAX_DOCUMENT_BYTES } from '../../shared/wire/advertisement.ts';
import { WireTooLargeError } from '../../shared/wire/errors.ts';
import { SurveyNetworkError, SurveyTimeoutError } from '../errors.ts';

export interface TcpFetchResult {
  bytes: Buffer;
  /** The TCP handshake time: one network round trip, unaffected by how slowly the server writes. */
  connectMs: number;
}

/** Rejected with when the caller aborts (its deadline); it says how far a slow server got. */
function tcpTimeout(connected: boolean, received: number): SurveyTimeoutError {
  return new SurveyTimeoutError(connected ? `incomplete TCP answer (${received} bytes) at the deadline` : 'TCP connection not established by the deadline', connected, received);
}

export function fetchOverTcp(address: string, port: number, signal: AbortSignal, limit = MAX_DOCUMENT_BYTES): Promise<TcpFetchResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let connectMs: number | undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    const socket = connect({ host: address, port, noDelay: true });
    let settled = false;
    const finish = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve({ bytes: Buffer.concat(chunks, received), connectMs: connectMs ?? 0 });
    };
    const onAbort = (): void => finish(tcpTimeout(connectMs !== undefined, received));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      // The client never writes, and does not half-close either: the server sends its document on
      // connect and closes, and a server that sees our FIN first might drop an answer still being built.
      connectMs = performance.now() - started;
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) return finish(new WireTooLargeError(received, limit));
      chunks.push(chunk);
    });
    socket.once('end', () => finish(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      finish(new SurveyNetworkError(err.code ?? 'EIO', `TCP ${address} port ${port}: ${describeSocketError(err)}`, err));
    });
  });
}

function describeSocketError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused (no advertise daemon listening)';
    case 'ECONNRESET':
      return 'connection reset by the server';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return err.message;
  }
}
