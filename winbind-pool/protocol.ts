/**
 * The socket protocol: one JSON object per line (UTF-8, `\n`-terminated), requests and replies.
 *
 *   {"id":1,"op":"auth","user":"alice","password":"..."}
 *   {"id":1,"ok":true,"result":{"user":"LTSP\\alice"}}
 *   {"id":2,"ok":false,"error":{"code":"ERR_DENIED","message":"...","reason":"wrong_password"}}
 *
 * Every field is checked for type and range here, once, so that the pool and the workers only ever
 * see well-formed requests. A NUL byte is refused in every string: C sees a string ending there, and
 * "pass\0anything" must not authenticate as "pass".
 */
import { BadRequestError, type PoolError, type WireErrorCode } from './errors.ts';

/** One request line, including the newline. Room for a 1 KiB password escaped as \uXXXX six times over. */
export const MAX_LINE_BYTES = 8192;
export const MAX_NAME_CHARS = 256;
export const MAX_PASSWORD_BYTES = 1024;
const MAX_ID_CHARS = 64;
const MAX_XID = 0xfffffffe; // (uid_t)-1 means "no id" to the kernel and to winbind

export type BackendRequest =
  | { op: 'auth'; user: string; password: string }
  | { op: 'getpwnam'; name: string }
  | { op: 'getpwuid'; uid: number }
  | { op: 'getgrnam'; name: string }
  | { op: 'getgrgid'; gid: number }
  | { op: 'groups'; user: string }
  | { op: 'ping' };
export type Op = BackendRequest['op'] | 'status';
export type Request = BackendRequest | { op: 'status' };
export type RequestId = number | string | null;

export interface Passwd {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  dir: string;
  shell: string;
}
export interface Group {
  name: string;
  gid: number;
  members: string[];
}
export interface AuthResult {
  /** The name the backend knows the user by (winbind: DOMAIN\user). */
  user: string;
}
export interface GroupsResult {
  user: string;
  gids: number[];
}

export interface WireError {
  code: WireErrorCode;
  message: string;
  reason?: string;
}
export type Reply = { id: RequestId; ok: true; result: unknown } | { id: RequestId; ok: false; error: WireError };

const FIELDS: Record<Op, readonly string[]> = {
  auth: ['user', 'password'],
  getpwnam: ['name'],
  getpwuid: ['uid'],
  getgrnam: ['name'],
  getgrgid: ['gid'],
  groups: ['user'],
  ping: [],
  status: [],
};
export const OPS = Object.keys(FIELDS) as Op[];

function isOp(op: unknown): op is Op {
  return typeof op === 'string' && Object.hasOwn(FIELDS, op);
}

function checkName(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new BadRequestError(`${field} must be a string`);
  if (value.length === 0 || value.length > MAX_NAME_CHARS) {
    throw new BadRequestError(`${field} must be 1 to ${MAX_NAME_CHARS} characters, got ${value.length}`);
  }
  if (/[\x00-\x1f\x7f]/.test(value)) throw new BadRequestError(`${field} must not contain control characters`);
  return value;
}

function checkPassword(value: unknown): string {
  if (typeof value !== 'string') throw new BadRequestError('password must be a string');
  // The length is reported, never the value.
  const bytes = Buffer.byteLength(value);
  if (bytes > MAX_PASSWORD_BYTES) throw new BadRequestError(`password must be at most ${MAX_PASSWORD_BYTES} bytes, got ${bytes}`);
  if (value.includes('\0')) throw new BadRequestError('password must not contain a NUL character');
  return value;
}

function checkXid(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_XID) {
    throw new BadRequestError(`${field} must be an integer from 0 to ${MAX_XID}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkId(value: unknown): RequestId {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && value.length <= MAX_ID_CHARS) return value;
  throw new BadRequestError(`id must be a safe integer or a string of at most ${MAX_ID_CHARS} characters`);
}

/** The id of a line that failed validation, when it has a usable one, so the error can be matched. */
export function salvageId(line: string): RequestId {
  try {
    return checkId((JSON.parse(line) as { id?: unknown })?.id);
  } catch {
    return null;
  }
}

/** Parse and validate one request line (without its newline). Throws BadRequestError. */
export function parseRequest(line: string): { id: RequestId; request: Request } {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new BadRequestError('request is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadRequestError('request must be a JSON object');
  const obj = value as Record<string, unknown>;
  const id = checkId(obj.id);
  if (!isOp(obj.op)) throw new BadRequestError(`op must be one of ${OPS.join(', ')}`);
  const allowed = FIELDS[obj.op];
  for (const key of Object.keys(obj)) {
    if (key !== 'id' && key !== 'op' && !allowed.includes(key)) throw new BadRequestError(`unknown field ${JSON.stringify(key.slice(0, 40))} for op ${obj.op}`);
  }
  return { id, request: buildRequest(obj.op, obj) };
}

function buildRequest(op: Op, obj: Record<string, unknown>): Request {
  switch (op) {
    case 'auth':
      return { op, user: checkName(obj.user, 'user'), password: checkPassword(obj.password) };
    case 'getpwnam':
    case 'getgrnam':
      return { op, name: checkName(obj.name, 'name') };
    case 'getpwuid':
      return { op, uid: checkXid(obj.uid, 'uid') };
    case 'getgrgid':
      return { op, gid: checkXid(obj.gid, 'gid') };
    case 'groups':
      return { op, user: checkName(obj.user, 'user') };
    case 'ping':
    case 'status':
      return { op };
  }
}

export function encodeReply(reply: Reply): string {
  return JSON.stringify(reply) + '\n';
}

export function errorReply(id: RequestId, err: PoolError): Reply {
  const error: WireError = { code: err.code, message: err.message };
  if (err.reason !== undefined) error.reason = err.reason;
  return { id, ok: false, error };
}

/**
 * A name from a request, made safe for a log line: quoted, everything outside printable ASCII
 * escaped (no terminal escapes, no look-alike characters, no forged line), at most 64 characters.
 */
export function quoteForLog(text: string): string {
  const cut = text.length > 64 ? `${text.slice(0, 64)}...` : text;
  return `"${cut.replace(/[^\x20-\x7e]|["\\]/g, (c) => (c === '"' || c === '\\' ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))}"`;
}

/**
 * What a request is about, for logs. Names are quoted and escaped; an authentication names nobody:
 * people type their password into the user field, and the log must not keep it.
 */
export function describeRequest(req: Request): string {
  switch (req.op) {
    case 'auth':
      return 'auth';
    case 'groups':
      return `${req.op} ${quoteForLog(req.user)}`;
    case 'getpwnam':
    case 'getgrnam':
      return `${req.op} ${quoteForLog(req.name)}`;
    case 'getpwuid':
      return `${req.op} ${req.uid}`;
    case 'getgrgid':
      return `${req.op} ${req.gid}`;
    default:
      return req.op;
  }
}
