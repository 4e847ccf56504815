/**
 * lts.conf as LTSP 5's getltscfg reads it: `KEY = value` lines under `[Section]` headers, `#`
 * comments, values optionally quoted. A client takes a key from the first section that has it, in
 * this order: its hostname, its IP, its MAC (lowercase, colon separated), each followed through its
 * `LIKE = other` chain, and `[Default]` (any case) last. Later lines override earlier ones within a
 * section, as in the shell file ltsp_config writes.
 *
 * The file comes from the server over TFTP and may be anything: it is capped in size and line length,
 * and every problem becomes an issue naming the line, never an exception.
 */

export const MAX_LTS_CONF_BYTES = 256 * 1024;
const MAX_LINE_CHARS = 4096;
/** Deeper than any real chain; also what stops a chain that leaves the loop check (it cannot, but cheap). */
const MAX_LIKE_DEPTH = 16;

export interface ConfEntry {
  value: string;
  line: number;
  section: string;
}

export interface ConfIssue {
  line?: number;
  message: string;
}

export interface LtsConf {
  /** Section name exactly as written (Default under its lowercase name) -> key -> entry. */
  sections: Map<string, Map<string, ConfEntry>>;
  issues: ConfIssue[];
}

export interface ClientIdentity {
  hostname?: string | undefined;
  ip?: string | undefined;
  mac?: string | undefined;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export function parseLtsConf(input: Buffer | string): LtsConf {
  const conf: LtsConf = { sections: new Map(), issues: [] };
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > MAX_LTS_CONF_BYTES) {
    conf.issues.push({ message: `file of ${size} bytes is larger than ${MAX_LTS_CONF_BYTES}: ignored` });
    return conf;
  }
  const text = typeof input === 'string' ? input : input.toString('utf8');
  if (text.includes('\0')) {
    conf.issues.push({ message: 'file contains NUL bytes (not a text file): ignored' });
    return conf;
  }
  let current: Map<string, ConfEntry> | undefined;
  let currentName = '';
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.length > MAX_LINE_CHARS) {
      conf.issues.push({ line, message: `line longer than ${MAX_LINE_CHARS} characters: ignored` });
      return;
    }
    const stripped = stripComment(raw).trim();
    if (stripped === '') return;
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(stripped);
    if (header) {
      if (current && current.size === 0) emptySection(conf, currentName);
      currentName = sectionKey(header[1]!);
      current = conf.sections.get(currentName) ?? new Map();
      conf.sections.set(currentName, current);
      return;
    }
    const eq = stripped.indexOf('=');
    const key = eq === -1 ? '' : stripped.slice(0, eq).trim();
    if (eq === -1 || !KEY.test(key)) {
      conf.issues.push({ line, message: `not "KEY = value" or "[Section]": ${JSON.stringify(stripped.slice(0, 60))} ignored` });
      return;
    }
    if (!current) {
      conf.issues.push({ line, message: `${key} is outside any [Section]: ignored` });
      return;
    }
    const value = unquote(stripped.slice(eq + 1).trim());
    if (value === undefined) {
      conf.issues.push({ line, message: `${key}: unterminated quote: ignored` });
      return;
    }
    current.set(key.toUpperCase(), { value, line, section: currentName });
  });
  if (current && current.size === 0) emptySection(conf, currentName);
  return conf;
}

function emptySection(conf: LtsConf, name: string): void {
  conf.issues.push({ message: `section [${name}] is empty (getltscfg treats this as a syntax error)` });
}

/** `[Default]` in any case is one section; every other name is matched exactly. */
function sectionKey(name: string): string {
  return name.toLowerCase() === 'default' ? 'default' : name;
}

/** Drops a `#` comment that is not inside quotes. */
function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#') {
      return line.slice(0, i);
    }
  }
  return line;
}

/** `"a b"` and `'a b'` lose their quotes; an opening quote without its closing one is an error. */
function unquote(value: string): string | undefined {
  const first = value[0];
  if (first !== '"' && first !== "'") return value;
  if (value.length < 2 || value[value.length - 1] !== first) return undefined;
  return value.slice(1, -1);
}

export interface Resolved {
  entries: Map<string, ConfEntry>;
  issues: ConfIssue[];
}

/**
 * Every key this client sees: the first section in lookup order that has the key wins. LIKE
 * chains are followed depth-first right after the section naming them; a loop or a missing section
 * is reported once and the chain stops there.
 */
export function resolveForClient(conf: LtsConf, client: ClientIdentity): Resolved {
  const entries = new Map<string, ConfEntry>();
  const issues: ConfIssue[] = [];
  const visited = new Set<string>();
  const take = (name: string, via: string[], likeLine?: number): void => {
    const section = conf.sections.get(name);
    if (!section) {
      if (likeLine !== undefined) issues.push({ line: likeLine, message: `LIKE names section [${name}], which does not exist` });
      return;
    }
    if (via.includes(name)) {
      issues.push({ line: likeLine, message: `LIKE loop ${[...via, name].map((n) => `[${n}]`).join(' -> ')}: stopped` });
      return;
    }
    // Already merged through an earlier section: its keys are in, and earlier sections win anyway.
    if (visited.has(name)) return;
    if (via.length >= MAX_LIKE_DEPTH) {
      issues.push({ message: `LIKE chain deeper than ${MAX_LIKE_DEPTH}: ${via.join(' -> ')}: stopped` });
      return;
    }
    visited.add(name);
    for (const [key, entry] of section) if (key !== 'LIKE' && !entries.has(key)) entries.set(key, entry);
    const like = section.get('LIKE');
    if (like) take(sectionKey(like.value.trim()), [...via, name], like.line);
  };
  const order = [client.hostname, client.ip, client.mac?.toLowerCase(), 'default'];
  for (const name of order) if (name) take(name, []);
  return { entries, issues };
}
