/**
 * The client commands of `ltsp-winbind-pool`: auth (for pam_exec), the getent-like lookups, status
 * and hash-password. Each returns the exit code; errors are thrown and printed once by the bin.
 *
 * The password is read from stdin only, never from argv or the environment. pam_exec's
 * expose_authtok writes it followed by a NUL; a terminal or `printf` gives it with or without a
 * newline. So: up to the first NUL if there is one, else without one trailing newline.
 */
import { NotRunningError, UsageError } from '../shared/errors.ts';
import { flagValue } from '../shared/options.ts';
import { EXIT } from '../shared/exit-codes.ts';
import { DaemonUnreachableError } from './errors.ts';
import { requestOnce } from './client.ts';
import { formatStatus, type PoolStatus } from './pool-status.ts';
import { MAX_PASSWORD_BYTES, type Group, type GroupsResult, type Passwd, type Request } from './protocol.ts';

export interface ClientOptions {
  socket: string;
  timeoutMs: number;
}

export async function readPassword(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    // One byte for the NUL or newline terminator, one for "\r\n".
    if (size > MAX_PASSWORD_BYTES + 2) throw new UsageError(`the password on stdin is longer than ${MAX_PASSWORD_BYTES} bytes`);
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks);
  const nul = raw.indexOf(0);
  let text = (nul === -1 ? raw : raw.subarray(0, nul)).toString('utf8');
  if (nul === -1) text = text.replace(/\r?\n$/, '');
  return text;
}

export async function authCommand(user: string | undefined, opts: ClientOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const name = user ?? env.PAM_USER;
  if (!name) throw new UsageError('auth needs a user name as argument or in PAM_USER');
  const password = await readPassword();
  await requestOnce(opts.socket, { op: 'auth', user: name, password }, opts.timeoutMs);
  return EXIT.ok;
}

export function formatPasswd(p: Passwd): string {
  return `${p.name}:*:${p.uid}:${p.gid}:${p.gecos}:${p.dir}:${p.shell}`;
}

export function formatGroup(g: Group): string {
  return `${g.name}:x:${g.gid}:${g.members.join(',')}`;
}

/** A uid or gid argument: 0 to 4294967294 ((uid_t)-1 means "no id"). */
const XID = { kind: 'integer', what: 'a uid or gid', min: 0, max: 0xfffffffe } as const;
const xid = (text: string, what: string): number => flagValue(XID, text, what);

export type LookupOp = 'getpwnam' | 'getpwuid' | 'getgrnam' | 'getgrgid' | 'groups' | 'ping';

/** Prints the entry as getent does (passwd and group lines), the gids for `groups`, "ok" for ping. */
export async function lookupCommand(op: LookupOp, key: string | undefined, opts: ClientOptions): Promise<number> {
  let req: Request;
  if (op === 'ping') req = { op };
  else if (key === undefined) throw new UsageError(`${op} needs an argument`);
  else if (op === 'getpwuid') req = { op, uid: xid(key, 'uid') };
  else if (op === 'getgrgid') req = { op, gid: xid(key, 'gid') };
  else if (op === 'groups') req = { op, user: key };
  else req = { op, name: key };
  const result = await requestOnce(opts.socket, req, opts.timeoutMs);
  switch (op) {
    case 'getpwnam':
    case 'getpwuid':
      process.stdout.write(formatPasswd(result as Passwd) + '\n');
      break;
    case 'getgrnam':
    case 'getgrgid':
      process.stdout.write(formatGroup(result as Group) + '\n');
      break;
    case 'groups': {
      const g = result as GroupsResult;
      process.stdout.write(`${g.user}: ${g.gids.join(' ')}\n`);
      break;
    }
    case 'ping':
      process.stdout.write('ok\n');
      break;
  }
  return EXIT.ok;
}

/** No daemon is "not running" (exit 3) here, as for every `status`; auth and lookups keep PAM's 9 for it. */
export async function statusCommand(opts: ClientOptions & { json: boolean }): Promise<number> {
  let status: PoolStatus & { connections: number };
  try {
    status = (await requestOnce(opts.socket, { op: 'status' }, opts.timeoutMs)) as PoolStatus & { connections: number };
  } catch (err) {
    if (err instanceof DaemonUnreachableError) throw new NotRunningError(`no winbind pool daemon answers on ${opts.socket}: ${err.message}`, { cause: err });
    throw err;
  }
  process.stdout.write(opts.json ? JSON.stringify(status, null, 2) + '\n' : formatStatus(status));
  return EXIT.ok;
}

export async function hashPasswordCommand(): Promise<number> {
  const { hashPassword } = await import('./backends/password-hash.ts');
  const password = await readPassword();
  if (password === '') throw new UsageError('refusing to hash an empty password');
  process.stdout.write(hashPassword(password) + '\n');
  return EXIT.ok;
}
