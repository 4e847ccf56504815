/**
 * Client side: a document from a server that may be broken or hostile becomes a checked
 * Advertisement, or a coded error that names what was wrong. Order of defences: byte cap, no
 * DOCTYPE/ENTITY (entity bombs), strict UTF-8, XML validation, bounded nesting, then every field
 * converted by hand with a range check (the parser's own number coercion is off: "1e308" and "0x10"
 * must not become numbers). Unknown elements are ignored so that version 1 can grow.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import {
  HOSTNAME_PATTERN,
  MAX_DOCUMENT_BYTES,
  MAX_NESTING,
  MAX_USER_NAMES,
  POOL_FIELDS,
  type PoolSummary,
  NUMERIC_FIELDS,
  USER_NAME_PATTERN,
  WIRE_VERSION,
  type Advertisement,
  type NumericSpec,
  type ServerState,
} from './advertisement.ts';
import { WireFieldError, WireSyntaxError, WireTooLargeError, WireUnsafeError, WireVersionError } from './errors.ts';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  isArray: (name, jpath) => jpath === 'advertise.user_names.user',
  maxNestedTags: MAX_NESTING,
  processEntities: true,
  htmlEntities: false,
});

const INTEGER = /^\d{1,16}$/;
const DECIMAL = /^\d{1,16}(?:\.\d{1,6})?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** What a datagram or stream carried: a document, or the server's "pad your query or use TCP". */
export type Reply = { kind: 'document'; ad: Advertisement } | { kind: 'retry-tcp' };

export function parseReply(payload: Uint8Array | string, limit = MAX_DOCUMENT_BYTES): Reply {
  const root = parseRoot(payload, limit);
  if (root['@_retry'] === 'tcp') return { kind: 'retry-tcp' };
  return { kind: 'document', ad: readFields(root) };
}

/** Parse a full document; a "retry over TCP" answer is an error here (TCP never sends it). */
export function parseAdvertisement(payload: Uint8Array | string, limit = MAX_DOCUMENT_BYTES): Advertisement {
  const reply = parseReply(payload, limit);
  if (reply.kind !== 'document') throw new WireSyntaxError('expected a document, got a retry-over-TCP answer');
  return reply.ad;
}

function parseRoot(payload: Uint8Array | string, limit: number): Record<string, unknown> {
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (bytes > limit) throw new WireTooLargeError(bytes, limit);
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : utf8.decode(payload);
  } catch (err) {
    throw new WireSyntaxError('document is not valid UTF-8', { cause: err });
  }
  if (/<!DOCTYPE/i.test(text)) throw new WireUnsafeError('a DOCTYPE declaration');
  if (/<!ENTITY/i.test(text)) throw new WireUnsafeError('an ENTITY declaration');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new WireSyntaxError(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new WireSyntaxError(`unparsable XML: ${(err as Error).message}`, { cause: err });
  }
  const root = doc.advertise;
  if (!isObject(root)) throw new WireSyntaxError('root element must be <advertise>');
  const version = root['@_version'];
  if (typeof version !== 'string') throw new WireFieldError('version', 'attribute missing');
  if (version !== String(WIRE_VERSION)) throw new WireVersionError(version);
  return root;
}

function readFields(root: Record<string, unknown>): Advertisement {
  const ad = {
    version: WIRE_VERSION,
    hostname: readText(root, 'hostname', HOSTNAME_PATTERN),
    state: readState(root),
  } as Advertisement;
  for (const spec of NUMERIC_FIELDS) ad[spec.key] = readNumber(root, spec);
  if (ad.memAvailableKb > ad.memTotalKb) throw new WireFieldError('mem_available_kb', 'larger than mem_total_kb');
  if (ad.swapFreeKb > ad.swapTotalKb) throw new WireFieldError('swap_free_kb', 'larger than swap_total_kb');
  if (ad.users > ad.sessions) throw new WireFieldError('users', 'more users than sessions');
  const names = readUserNames(root);
  if (names) ad.userNames = names;
  const pool = readPool(root);
  if (pool) ad.pool = pool;
  return ad;
}

/** Optional; when present, every field is checked like the rest (a half-valid summary is refused). */
function readPool(root: Record<string, unknown>): PoolSummary | undefined {
  const raw = root.pool;
  if (raw === undefined) return undefined;
  if (!isObject(raw)) throw new WireFieldError('pool', 'must contain workers, busy, max and queue');
  const pool = {} as PoolSummary;
  for (const { key, max } of POOL_FIELDS) pool[key] = readNumber(raw, { key: 'sessions', element: key, integer: true, min: 0, max });
  if (pool.busy > pool.workers) throw new WireFieldError('pool', 'more busy workers than workers');
  return pool;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readText(root: Record<string, unknown>, element: string, pattern: RegExp): string {
  const v = root[element];
  if (v === undefined) throw new WireFieldError(element, 'missing');
  if (typeof v !== 'string') throw new WireFieldError(element, 'must be text, once');
  if (!pattern.test(v)) throw new WireFieldError(element, `invalid value ${JSON.stringify(v.slice(0, 40))}`);
  return v;
}

function readState(root: Record<string, unknown>): ServerState {
  const v = readText(root, 'state', /^(?:accepting|draining)$/);
  return v as ServerState;
}

function readNumber(root: Record<string, unknown>, spec: NumericSpec): number {
  const v = root[spec.element];
  if (v === undefined) throw new WireFieldError(spec.element, 'missing');
  if (typeof v !== 'string') throw new WireFieldError(spec.element, 'must be a number, once');
  if (!(spec.integer ? INTEGER : DECIMAL).test(v)) {
    throw new WireFieldError(spec.element, `${JSON.stringify(v.slice(0, 40))} is not a ${spec.integer ? 'whole' : 'decimal'} number`);
  }
  const n = Number(v);
  if (n < spec.min || n > spec.max) throw new WireFieldError(spec.element, `${v} is outside ${spec.min}..${spec.max}`);
  return n;
}

function readUserNames(root: Record<string, unknown>): string[] | undefined {
  const list = root.user_names;
  if (list === undefined || list === '') return undefined;
  if (!isObject(list)) throw new WireFieldError('user_names', 'must contain <user> elements');
  const users = list.user ?? [];
  if (!Array.isArray(users)) throw new WireFieldError('user_names', 'must contain <user> elements');
  if (users.length > MAX_USER_NAMES) throw new WireFieldError('user_names', `more than ${MAX_USER_NAMES} names`);
  return users.map((u: unknown) => {
    if (typeof u !== 'string' || !USER_NAME_PATTERN.test(u)) throw new WireFieldError('user_names', 'invalid user name');
    return u;
  });
}
