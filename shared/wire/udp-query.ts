/**
 * The UDP query and the amplification rule. A query is the magic line followed by padding: the
 * client pays for the answer in bytes it sends (QUIC's rule), so the server never answers with more
 * bytes than it received and port 377 is useless as a reflector. A query too short for the document
 * gets the tiny "retry over TCP" answer, itself only when it fits.
 */
import { WIRE_VERSION } from './advertisement.ts';

export const QUERY_MAGIC = `LTSP-ADVERTISE-QUERY/${WIRE_VERSION}\n`;
/** What clients pad to, as QUIC pads its first datagram: big enough for any UDP document. */
export const QUERY_PADDED_BYTES = 1200;
/** Sent instead of the document when the query paid for fewer bytes than the document needs. */
export const RETRY_TCP_REPLY = `<advertise version="${WIRE_VERSION}" retry="tcp"/>`;

export function buildQuery(size = QUERY_PADDED_BYTES): Buffer {
  const magic = Buffer.from(QUERY_MAGIC, 'ascii');
  const buf = Buffer.alloc(Math.max(size, magic.length), 0);
  magic.copy(buf);
  return buf;
}

export function isQuery(datagram: Uint8Array): boolean {
  if (datagram.byteLength < QUERY_MAGIC.length) return false;
  return Buffer.from(datagram.buffer, datagram.byteOffset, QUERY_MAGIC.length).toString('latin1') === QUERY_MAGIC;
}

/**
 * The bytes to send back for a query of `querySize` bytes, or undefined for silence: the document
 * when it fits, else the retry answer when that fits, else nothing.
 */
export function chooseUdpReply(querySize: number, document: Buffer): Buffer | undefined {
  if (document.length <= querySize) return document;
  const retry = Buffer.from(RETRY_TCP_REPLY, 'ascii');
  return retry.length <= querySize ? retry : undefined;
}
