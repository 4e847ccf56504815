/**
 * lts.conf resolved for this client exactly as LTSP 5's getltscfg resolves it (lexer:
 * ltsconf-lexer.ts, grammar and include: ltsconf-parser.ts, sections: ltsconf-resolve.ts). The one
 * reader for every component: get_hosts' settings, the greeter bridge, `--explain`.
 *
 * One error policy: nothing here throws. Every problem becomes an issue naming the file and line, and
 * the caller logs it and goes on with what getltscfg would have given the client. Where getltscfg
 * itself crashes, hangs or prints nothing (a missing include, a FIFO), the client gets no lts.conf
 * values at all, and so do we (`failed`), with the reason.
 *
 * The files come from the server over TFTP and may be anything: one size cap covers all of them
 * together, at most MAX_FILE_INCLUDES files are opened (getltscfg's own limit), and at most
 * MAX_REPORTED_ISSUES issues are reported, then a count.
 */
import { constants, closeSync, fstatSync, openSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { FileTooLargeError, FileTypeError, readFileCapped } from '../shared/fs/read-capped.ts';
import { escapeBytes, type InputFile } from './ltsconf-lexer.ts';
import { parseLtsConfFiles, type FileAccess, type Issue } from './ltsconf-parser.ts';
import { resolveSections, type ClientIdentity, type ResolvedValue } from './ltsconf-resolve.ts';

export { MAX_FILE_INCLUDES } from './ltsconf-parser.ts';
export type { ClientIdentity, ResolvedValue } from './ltsconf-resolve.ts';

/** Where LTSP 5 clients find lts.conf (the chroot's /etc, filled at boot). */
export const DEFAULT_LTS_CONF_PATH = '/etc/lts.conf';
/**
 * For the main file and its includes together (the cap a single lts.conf had before includes were
 * read); far above any real lts.conf, and it bounds the time get_hosts spends here.
 */
export const MAX_LTS_CONF_BYTES = 256 * 1024;
/** A garbage file must not flood the journal: this many issues, then one line with the count. */
export const MAX_REPORTED_ISSUES = 20;

export interface LtsConfIssue {
  file?: string;
  line?: number;
  message: string;
}

export interface LtsConf {
  /** The main file. */
  path: string;
  /** Every file opened, main first. */
  files: string[];
  /** Upper-case key -> value for this client, as `getltscfg -a` prints them. */
  values: Map<string, ResolvedValue>;
  /** Sections applied, strongest first (for --explain). */
  chain: string[];
  /** At most MAX_REPORTED_ISSUES, then one issue giving the count of the rest. */
  issues: LtsConfIssue[];
  /** getltscfg would give this client nothing (or the file could not be read): `values` is empty. */
  failed: boolean;
}

export interface ReadLtsConfOptions {
  /** `--config FILE`; without it DEFAULT_LTS_CONF_PATH, whose absence is normal (no issue). */
  path?: string | undefined;
  client: ClientIdentity;
}

/** The resolved lts.conf, or undefined when no file was named and /etc/lts.conf does not exist. */
export function readLtsConf(opts: ReadLtsConfOptions): LtsConf | undefined {
  const path = opts.path ?? DEFAULT_LTS_CONF_PATH;
  const main = loadFile(path);
  if (main.unreadable !== undefined) {
    if (opts.path === undefined && main.missing) return undefined;
    return failed(path, [path], { file: path, message: `cannot read: ${main.unreadable}` });
  }
  return resolveLtsConf(main, opts.client);
}

/** The resolution of a main file already in memory (its includes are read from disk). */
export function resolveLtsConf(main: { path: string; bytes: Buffer }, client: ClientIdentity): LtsConf {
  const parsed = parseLtsConfFiles({ path: main.path, bytes: main.bytes, read: 0 }, disk(MAX_LTS_CONF_BYTES - main.bytes.length));
  if (parsed.fatal) return failed(main.path, parsed.files, toIssue(parsed.fatal), parsed.issues.map(toIssue));
  const resolved = resolveSections(parsed.sections, client, parsed.where);
  const issues = [...parsed.issues, ...resolved.issues].map(toIssue);
  if (main.bytes.includes(0)) issues.unshift({ file: main.path, message: 'the file contains NUL bytes (is it a text file?): getltscfg cuts every word at the first one' });
  return { path: main.path, files: parsed.files, values: resolved.values, chain: resolved.chain, issues: capIssues(issues), failed: false };
}

function failed(path: string, files: string[], why: LtsConfIssue, others: LtsConfIssue[] = []): LtsConf {
  const first = { ...why, message: `${why.message}; no lts.conf value is used` };
  return { path, files, values: new Map(), chain: [], issues: capIssues([first, ...others]), failed: true };
}

function toIssue(i: Issue): LtsConfIssue {
  return i.at ? { file: i.at.file, line: i.at.line, message: i.message } : { message: i.message };
}

function capIssues(issues: LtsConfIssue[]): LtsConfIssue[] {
  if (issues.length <= MAX_REPORTED_ISSUES) return issues;
  const rest = issues.length - MAX_REPORTED_ISSUES;
  return [...issues.slice(0, MAX_REPORTED_ISSUES), { message: `${rest} more lts.conf problem(s) not shown` }];
}

/** A section as written, with every `KEY = value` it holds (file and line of each). */
export interface LtsConfSection {
  name: string;
  entries: Array<{ key: string; value: string; file: string; line: number }>;
}

/**
 * Every section of `path` as getltscfg parses it (includes followed, the same limits), resolved for
 * no client: for a tool on the server that needs every client's view (update-sshkeys reads
 * LDM_BALANCE_SERVERS of every section). A file getltscfg would fail on gives no section.
 */
export function readLtsConfSections(path: string): { sections: LtsConfSection[]; issues: LtsConfIssue[] } {
  const main = loadFile(path);
  if (main.unreadable !== undefined) return { sections: [], issues: [{ file: path, message: `cannot read: ${main.unreadable}` }] };
  const parsed = parseLtsConfFiles({ path: main.path, bytes: main.bytes, read: 0 }, disk(MAX_LTS_CONF_BYTES - main.bytes.length));
  if (parsed.fatal) return { sections: [], issues: capIssues([toIssue(parsed.fatal), ...parsed.issues.map(toIssue)]) };
  const sections = parsed.sections.map((sec) => ({
    name: sec.name,
    entries: sec.tuples.map((t) => ({ key: t.key, value: t.value, ...parsed.where(t.pos) })),
  }));
  return { sections, issues: capIssues(parsed.issues.map(toIssue)) };
}

/** One line for a log: `file line N: message`, file names escaped like the file's own text. */
export function formatIssue(i: LtsConfIssue): string {
  const where = i.file === undefined ? 'lts.conf' : `${escapeBytes(i.file, 200)}${i.line ? ` line ${i.line}` : ''}`;
  return `${where}: ${i.message}`;
}

/** getltscfg runs from / at boot: a relative include is relative to /. */
const absolute = (path: string): string => (isAbsolute(path) ? path : resolve('/', path));

function loadFile(path: string, limit = MAX_LTS_CONF_BYTES): InputFile & { missing?: boolean } {
  try {
    return { path, bytes: readFileCapped(path, limit), read: 0 };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    let why = (err as Error).message;
    if (err instanceof FileTooLargeError) {
      why = limit === MAX_LTS_CONF_BYTES ? `larger than ${MAX_LTS_CONF_BYTES} bytes, more than ltsp-balance reads` : `with the files read before it, larger than ${MAX_LTS_CONF_BYTES} bytes, more than ltsp-balance reads`;
    }
    else if (err instanceof FileTypeError) why = 'a FIFO or a socket, not a file';
    else if (code === 'EISDIR') why = 'a directory';
    return { path, bytes: Buffer.alloc(0), read: 0, unreadable: why, pastOurCap: err instanceof FileTooLargeError, missing: code === 'ENOENT' };
  }
}

/** The disk, for includes: `budget` bytes left of MAX_LTS_CONF_BYTES for all files together. */
const disk = (budget: number): FileAccess => ({
  opens(path) {
    let fd: number;
    try {
      fd = openSync(absolute(path), constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      return `cannot be opened (${code}), and getltscfg then calls fclose(NULL) and crashes, printing nothing (lexer.l:148-150)`;
    }
    try {
      if (fstatSync(fd).isFIFO()) return 'is a FIFO: getltscfg\'s fopen() waits for a writer, so this client would hang at boot (lexer.l:148)';
      return undefined;
    } finally {
      closeSync(fd);
    }
  },
  identity(path) {
    try {
      const st = statSync(absolute(path));
      return `${st.dev}:${st.ino}`;
    } catch {
      return undefined;
    }
  },
  load(path) {
    const file = loadFile(absolute(path), Math.max(0, budget));
    budget -= file.bytes.length;
    return { ...file, path };
  },
});
