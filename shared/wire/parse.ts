/**
 * Client side: a document from a server that may be broken or hostile becomes a checked
 * Advertisement, or a coded error that names what was wrong. Order of defences: byte cap, no
 * DOCTYPE/ENTITY (entity bombs), strict UTF-8, the parse budget (a linear count of elements, attributes
 * and references; no comments, CDATA or processing instructions, which no server sends and which cost
 * the parser most) in the same pass that reads and cuts out the user list (scanDocument), XML
 * validation of what is left, bounded nesting, then every field
 * converted by hand with a range check (the parser's own number coercion is off: "1e308" and "0x10"
 * must not become numbers). Unknown elements are ignored so that version 1 can grow.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import {
  HOSTNAME_PATTERN,
  MAX_ATTRIBUTES,
  MAX_DOCUMENT_BYTES,
  MAX_ELEMENTS,
  MAX_NESTING,
  MAX_REFERENCES,
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
import { WireBudgetError, WireFieldError, WireSyntaxError, WireTooLargeError, WireUnsafeError, WireVersionError } from './errors.ts';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
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
  const { root, userNames } = parseRoot(payload, limit);
  if (root['@_retry'] === 'tcp') return { kind: 'retry-tcp' };
  const ad = readFields(root);
  if (userNames) ad.userNames = userNames;
  return { kind: 'document', ad };
}

/** Parse a full document; a "retry over TCP" answer is an error here (TCP never sends it). */
export function parseAdvertisement(payload: Uint8Array | string, limit = MAX_DOCUMENT_BYTES): Advertisement {
  const reply = parseReply(payload, limit);
  if (reply.kind !== 'document') throw new WireSyntaxError('expected a document, got a retry-over-TCP answer');
  return reply.ad;
}

function parseRoot(payload: Uint8Array | string, limit: number): { root: Record<string, unknown>; userNames?: string[] } {
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
  const scanned = scanDocument(text);
  text = scanned.text;
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
  return { root, userNames: scanned.userNames };
}

/** The document without its user list (checked and taken out by scanDocument), and that list. */
interface Scanned {
  text: string;
  userNames?: string[];
}

/**
 * One linear pass over the text before fast-xml-parser sees it (fast-xml-parser's validator and
 * parser together cost 20-60 ms on 64 KiB of small elements on a busy client, against a 300 ms
 * deadline for all servers):
 * - the budget: at most MAX_ELEMENTS elements besides the user list, MAX_ATTRIBUTES attributes,
 *   MAX_REFERENCES references, no comment, CDATA or processing instruction;
 * - the user list (`<user_names>` under the root: the only part of a document that can be large, up
 *   to 2,048 `<user>`) is read and checked here, strictly in the shape servers render it, and cut out
 *   of the text handed to the XML parser. So the parser only ever sees a small document, and a
 *   document that fails anywhere costs a fraction of a millisecond to refuse, not what parsing 2,048
 *   elements costs (6.5 ms median, spikes past 10 ms on a loaded client).
 * Quoted attribute values are skipped, so a '>' or "/>" inside one cannot fool the depth.
 */
function scanDocument(text: string): Scanned {
  let elements = 0;
  let attributes = 0;
  let depth = 0;
  let list: { start: number; end: number; names: string[] } | undefined;
  for (let i = text.indexOf('<'); i !== -1; i = text.indexOf('<', i + 1)) {
    const next = text.charCodeAt(i + 1);
    if (next === 0x2f /* '/' */) {
      depth--;
      continue;
    }
    if (next === 0x21 /* '!' */) throw new WireBudgetError('a comment, CDATA section or declaration (never sent by a server)');
    if (next === 0x3f /* '?' */) {
      if (i === 0 && text.startsWith('<?xml ')) continue;
      throw new WireBudgetError('a processing instruction (never sent by a server)');
    }
    if (depth === 1 && isTag(text, i, 'user_names')) {
      if (list) throw new WireFieldError('user_names', 'more than once');
      list = readUserList(text, i);
      i = list.end - 1;
      continue;
    }
    if (++elements > MAX_ELEMENTS) throw new WireBudgetError(`more than ${MAX_ELEMENTS} elements besides the <user> list`);
    // To this tag's end, counting '=' and skipping quoted values (tags never overlap: linear overall).
    let j = i + 1;
    for (; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (c === 0x3e /* '>' */) break;
      if (c === 0x22 /* '"' */ || c === 0x27 /* "'" */) {
        const close = text.indexOf(text[j]!, j + 1);
        j = close === -1 ? text.length : close;
      } else if (c === 0x3d /* '=' */ && ++attributes > MAX_ATTRIBUTES) throw new WireBudgetError(`more than ${MAX_ATTRIBUTES} attributes`);
    }
    if (j >= text.length) throw new WireSyntaxError('not well-formed XML: a tag is never closed');
    if (text.charCodeAt(j - 1) !== 0x2f /* '/' */) depth++;
    i = j;
  }
  let references = 0;
  for (let i = text.indexOf('&'); i !== -1; i = text.indexOf('&', i + 1)) {
    if (++references > MAX_REFERENCES) throw new WireBudgetError(`more than ${MAX_REFERENCES} entity or character references`);
  }
  if (!list) return { text };
  return { text: text.slice(0, list.start) + text.slice(list.end), userNames: list.names.length > 0 ? list.names : undefined };
}

/** Whether an element named `name` starts at `i` (`<name>`, `<name/>`, `<name ...`). */
function isTag(text: string, i: number, name: string): boolean {
  if (!text.startsWith(name, i + 1)) return false;
  const after = text.charCodeAt(i + 1 + name.length);
  return after === 0x3e || after === 0x2f || after === 0x20 || after === 0x09 || after === 0x0a || after === 0x0d;
}

const USER_NAMES_OPEN = '<user_names>';
const USER_NAMES_CLOSE = '</user_names>';
const USER_OPEN = '<user>';
const USER_CLOSE = '</user>';

/**
 * `<user_names>` at `start`, as servers render it: `<user>` elements holding text (white space
 * between them allowed), or `<user_names/>`. Anything else inside it is refused, as is a name the
 * XML parser would not have accepted either. Text is decoded as fast-xml-parser decodes it (the five
 * XML entities, `&amp;` last; other references kept as written) and trimmed.
 */
function readUserList(text: string, start: number): { start: number; end: number; names: string[] } {
  if (text.startsWith('<user_names/>', start)) return { start, end: start + 13, names: [] };
  if (!text.startsWith(USER_NAMES_OPEN, start)) throw new WireFieldError('user_names', 'must be <user_names> without attributes');
  const names: string[] = [];
  let j = start + USER_NAMES_OPEN.length;
  for (;;) {
    while (j < text.length && (text.charCodeAt(j) <= 0x20)) j++;
    if (text.startsWith(USER_NAMES_CLOSE, j)) return { start, end: j + USER_NAMES_CLOSE.length, names };
    if (!text.startsWith(USER_OPEN, j)) throw new WireFieldError('user_names', 'must contain <user> elements only');
    const close = text.indexOf('<', j + USER_OPEN.length);
    if (close === -1 || !text.startsWith(USER_CLOSE, close)) throw new WireFieldError('user_names', 'a <user> must hold its name only');
    if (names.length === MAX_USER_NAMES) throw new WireBudgetError(`more than ${MAX_USER_NAMES} <user> elements`);
    const name = decodeText(text.slice(j + USER_OPEN.length, close)).trim();
    if (!USER_NAME_PATTERN.test(name)) throw new WireFieldError('user_names', 'invalid user name');
    names.push(name);
    j = close + USER_CLOSE.length;
  }
}

function decodeText(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&apos;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');
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
