/**
 * scrypt password hashes for the embedded backend, in a PHC-like text form:
 *
 *   $scrypt$ln=14,r=8,p=1$<salt, base64>$<key, base64>
 *
 * ln is log2 of the CPU/memory cost N. The parameters are range-checked before use, so a hostile or
 * mistyped hash cannot make a worker allocate gigabytes or spin for minutes.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import { BalanceError } from '../../shared/errors.ts';
import { EXIT } from '../../shared/exit-codes.ts';

export class BadHashError extends BalanceError {
  constructor(message: string) {
    super('ERR_BAD_HASH', message, { exitCode: EXIT.usage });
  }
}

export interface ScryptHash {
  ln: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

export const HASH_DEFAULTS = { ln: 14, r: 8, p: 1 } as const;
const MAX_MEMORY = 256 * 1024 * 1024;
const HASH_RE = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{11,88}={0,2})\$([A-Za-z0-9+/]{22,88}={0,2})$/;

function memoryFor(ln: number, r: number): number {
  return 128 * 2 ** ln * r;
}

export function parseHash(text: string): ScryptHash {
  const m = HASH_RE.exec(text);
  if (!m) throw new BadHashError('not a $scrypt$ln=..,r=..,p=..$salt$key hash');
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (ln < 10 || ln > 20) throw new BadHashError(`scrypt ln must be 10 to 20, got ${ln}`);
  if (r < 1 || r > 32 || p < 1 || p > 16) throw new BadHashError(`scrypt r must be 1 to 32 and p 1 to 16, got r=${r} p=${p}`);
  if (memoryFor(ln, r) > MAX_MEMORY) throw new BadHashError(`scrypt ln=${ln} r=${r} needs more than ${MAX_MEMORY >> 20} MiB`);
  const salt = Buffer.from(m[4]!, 'base64');
  const key = Buffer.from(m[5]!, 'base64');
  if (salt.length < 8 || key.length < 16 || key.length > 64) throw new BadHashError('scrypt salt must be at least 8 bytes and the key 16 to 64');
  return { ln, r, p, salt, key };
}

function derive(password: string, h: Pick<ScryptHash, 'ln' | 'r' | 'p' | 'salt'>, keyLength: number): Buffer {
  return scryptSync(password, h.salt, keyLength, { N: 2 ** h.ln, r: h.r, p: h.p, maxmem: 2 * memoryFor(h.ln, h.r) });
}

export function hashPassword(password: string, params: { ln?: number; r?: number; p?: number } = {}): string {
  const h = { ...HASH_DEFAULTS, ...params, salt: randomBytes(16) };
  const key = derive(password, h, 32);
  const text = `$scrypt$ln=${h.ln},r=${h.r},p=${h.p}$${h.salt.toString('base64')}$${key.toString('base64')}`;
  parseHash(text); // the same limits apply to what we write as to what we read
  return text;
}

/** Constant-time comparison of the derived key. */
export function verifyPassword(password: string, hash: ScryptHash): boolean {
  return timingSafeEqual(derive(password, hash, hash.key.length), hash.key);
}

let dummy: ScryptHash | undefined;
/** Spends the same time as a real check, so an unknown user cannot be told apart by timing. */
export function burnPasswordCheck(password: string): void {
  dummy ??= parseHash(hashPassword('unused'));
  verifyPassword(password, dummy);
}
