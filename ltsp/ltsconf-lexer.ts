/**
 * The tokens getltscfg's flex scanner makes of lts.conf (LTSP 5 `client/getltscfg/lexer.l`), with
 * flex's input buffering modelled byte for byte, because `include` depends on it: getltscfg switches
 * `yyin` to the included file and flex goes on with what it already buffered, reading the included
 * file only when that buffer runs out (flex reads 8,192 bytes at a time, YY_READ_BUF_SIZE). So an
 * included file's text lands after the current 8 KiB block of the including file, not at the include
 * line, and what the including file holds past that block is never read.
 *
 * Rules (lexer.l:23-33, 38-81), longest match first, the earlier rule on a tie:
 *   `=` EQUAL · `[` LB · `]` RB · `^[ \t]*include[ \t]+(path|"path")[ \t]*` INC · `[ \t]+` skipped ·
 *   `[^=\n\[\]"'#]*` STRING (trimmed) · `"[^\n]*"` STRING (quotes dropped, to the LAST quote on the
 *   line) · `#.*\n` comment · `\n`.
 * Anything else (`'`, a `"` with no closing quote on its line, a `#` with no newline after it) falls
 * to flex's default rule, which copies it to getltscfg's standard output.
 *
 * Text is handled as bytes (latin1 strings): getltscfg runs in the C locale, and values are cut at
 * the first NUL as C strings are.
 */

/** flex 2.6's YY_READ_BUF_SIZE and initial YY_BUF_SIZE. */
const READ_SIZE = 8192;
const INITIAL_BUF_SIZE = 16384;

export type TokenKind = 'EQUAL' | 'LB' | 'RB' | 'STRING' | 'INC' | 'EOF';

export interface Token {
  kind: TokenKind;
  /** STRING: the value; INC: the path (already checked to open, as validateinclude does). */
  text: string;
  /** Stream offset of the token's first byte. */
  pos: number;
}

/** One file getltscfg reads from: its bytes and how far flex has read it. */
export interface InputFile {
  path: string;
  bytes: Buffer;
  read: number;
  /** Why the file cannot be read (a directory, past our size cap): flex fails when it gets there. */
  unreadable?: string;
  /** `unreadable` is our cap, not a failure getltscfg would have. */
  pastOurCap?: boolean;
}

interface Block {
  start: number;
  file: InputFile;
  fileOffset: number;
  length: number;
}

/** What flex reads: blocks of the current `yyin`, in the order flex reads them. */
export class FlexInput {
  /** Everything flex has read so far, one char per byte (latin1), so scans run as native string searches. */
  text = '';
  private readonly blocks: Block[] = [];
  private bufSize = INITIAL_BUF_SIZE;
  /** After a 0-byte read in the middle of a token flex never reads again (YY_BUFFER_EOF_PENDING). */
  private eofPending = false;
  private ended = false;
  /** The file whose read failed: flex stops with "input in flex scanner failed" (exit 2). */
  failed: InputFile | undefined;

  /** `yyin`: switched by an include; flex reads from whatever it is when its buffer runs out. */
  constructor(public yyin: InputFile) {}

  get length(): number {
    return this.text.length;
  }

  byte(pos: number): number {
    return this.text.charCodeAt(pos);
  }

  slice(start: number, end: number): string {
    return this.text.slice(start, end);
  }

  /**
   * Makes byte `pos` available if the input has it; `tokenStart` is where the token being matched
   * began (flex moves that partial token to the front of its buffer, which sets how much it reads).
   * False at the end of input.
   */
  has(pos: number, tokenStart: number): boolean {
    while (pos >= this.text.length) {
      if (this.ended || this.eofPending) return false;
      const pending = this.text.length - tokenStart;
      let toRead = this.bufSize - pending - 1;
      while (toRead <= 0) {
        this.bufSize *= 2;
        toRead = this.bufSize - pending - 1;
      }
      toRead = Math.min(toRead, READ_SIZE);
      const file = this.yyin;
      if (file.unreadable) {
        this.failed = file;
        this.ended = true;
        return false;
      }
      const got = Math.min(toRead, file.bytes.length - file.read);
      if (got === 0) {
        if (pending === 0) this.ended = true;
        else this.eofPending = true;
        return false;
      }
      this.blocks.push({ start: this.text.length, file, fileOffset: file.read, length: got });
      this.text += file.bytes.toString('latin1', file.read, file.read + got);
      file.read += got;
    }
    return true;
  }

  /** The file and line a stream offset came from (binary searches: called for every line). */
  where(pos: number): { file: string; line: number } {
    let lo = 0;
    let hi = this.blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.blocks[mid]!.start <= pos) lo = mid;
      else hi = mid - 1;
    }
    const block = this.blocks[lo];
    if (!block) return { file: this.yyin.path, line: 1 };
    return { file: block.file.path, line: lineAt(block.file, block.fileOffset + Math.min(pos - block.start, block.length)) };
  }
}

const lineStarts = new WeakMap<InputFile, number[]>();

/** 1-based line of a byte offset in a file. */
export function lineAt(file: InputFile, offset: number): number {
  let starts = lineStarts.get(file);
  if (!starts) {
    starts = [0];
    const text = file.bytes.toString('latin1');
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    lineStarts.set(file, starts);
  }
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** Characters flex's default rule echoed to getltscfg's stdout: what, and where the first one was. */
export interface Echo {
  char: string;
  pos: number;
  count: number;
}

const NL = 0x0a;
/** lexer.l:28 `string`, and the rest of a line. Sticky, so a scan starts where it is told. */
const STRING_RUN = /[^=\n[\]"'#]*/y;
const NOT_NEWLINE = /[^\n]*/y;
const isBlank = (c: number): boolean => c === 0x20 || c === 0x09;
/** C isspace() in the C locale: what lexer.l's trim() removes. */
const isCSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d);

/** A C string: everything up to the first NUL. */
const cString = (s: string): string => {
  const nul = s.indexOf('\0');
  return nul === -1 ? s : s.slice(0, nul);
};

/** lexer.l trim(): C isspace() off both ends. */
function cTrim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isCSpace(s.charCodeAt(a))) a++;
  while (b > a && isCSpace(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}

const INCLUDE = Buffer.from('include', 'latin1');

export interface IncludeCheck {
  /**
   * lexer.l:148 fopen()s the path: a failure makes it call fclose(NULL) and crash; a FIFO blocks it
   * until a writer comes. Returns why the include stops getltscfg, or undefined when it opens.
   */
  opens(path: string): string | undefined;
}

export class Lexer {
  private pos = 0;
  private atBol = true;
  /** `yylval.string` as last set: a failed include returns STRING with this stale value (lexer.l:49). */
  private lastString = '';
  readonly echoes = new Map<string, Echo>();
  /** Set when getltscfg would crash in the lexer (an include path that does not open). */
  stoppedBy: { path: string; pos: number; why: string } | undefined;

  constructor(
    readonly input: FlexInput,
    private readonly includes: IncludeCheck,
  ) {}

  next(): Token {
    for (;;) {
      const start = this.pos;
      const input = this.input;
      if (!input.has(start, start)) return { kind: 'EOF', text: '', pos: start };
      const c = input.byte(start);
      if (c === 0x3d || c === 0x5b || c === 0x5d || c === NL) {
        this.advance(start + 1);
        if (c === NL) continue;
        return { kind: c === 0x3d ? 'EQUAL' : c === 0x5b ? 'LB' : 'RB', text: '', pos: start };
      }
      if (c === 0x23) {
        // `#.*\n`: a comment needs its newline; at the end of input the `#` is echoed.
        const nl = this.findNewline(start + 1, start);
        this.advance(nl === -1 ? start + 1 : nl + 1);
        if (nl === -1) this.echo('#', start);
        continue;
      }
      if (c === 0x22) {
        const close = this.lastQuoteOnLine(start + 1, start);
        if (close === -1) {
          this.advance(start + 1);
          this.echo('"', start);
          continue;
        }
        this.advance(close + 1);
        return this.string(cString(input.slice(start + 1, close)), start);
      }
      if (c === 0x27) {
        this.advance(start + 1);
        this.echo("'", start);
        continue;
      }
      // A run of STRING bytes; flex looks at the byte after it to know the run has ended.
      const end = this.scan(STRING_RUN, start, start);
      const inc = this.atBol ? this.includeLength(start, end) : 0;
      if (inc > 0) {
        this.advance(start + inc);
        const path = this.includePath(input.slice(start, start + inc));
        if (path === undefined) return { kind: 'STRING', text: this.lastString, pos: start };
        const why = this.includes.opens(path);
        if (why !== undefined) {
          this.stoppedBy = { path, pos: start, why };
          return { kind: 'EOF', text: '', pos: start };
        }
        this.lastString = path;
        return { kind: 'INC', text: path, pos: start };
      }
      if (end === start) {
        // Unreachable (every byte has a rule above), but never loop: flex's default rule.
        this.advance(start + 1);
        this.echo(String.fromCharCode(c), start);
        continue;
      }
      let blank = start;
      while (blank < end && isBlank(input.byte(blank))) blank++;
      this.advance(end);
      if (blank === end) continue; // whitespace wins a tie with STRING
      return this.string(cTrim(cString(input.slice(start, end))), start);
    }
  }

  private string(text: string, pos: number): Token {
    this.lastString = text;
    return { kind: 'STRING', text, pos };
  }

  private advance(to: number): void {
    this.atBol = this.input.byte(to - 1) === NL;
    this.pos = to;
  }

  private echo(char: string, pos: number): void {
    const seen = this.echoes.get(char);
    if (seen) seen.count++;
    else this.echoes.set(char, { char, pos, count: 1 });
  }

  /**
   * The end of the run `re` (sticky) matches from `from`, reading more input while the run reaches the
   * end of what is buffered: flex must see the byte after a run to know it has ended.
   */
  private scan(re: RegExp, from: number, tokenStart: number): number {
    let end = from;
    for (;;) {
      re.lastIndex = end;
      re.test(this.input.text); // test(), not exec(): no match array per token
      end = re.lastIndex;
      if (end < this.input.length || !this.input.has(end, tokenStart)) return end;
    }
  }

  private findNewline(from: number, tokenStart: number): number {
    const end = this.scan(NOT_NEWLINE, from, tokenStart);
    return end < this.input.length ? end : -1;
  }

  /** `"[^\n]*"` is greedy: it ends at the last quote before the newline (flex reads to the newline). */
  private lastQuoteOnLine(from: number, tokenStart: number): number {
    const end = this.scan(NOT_NEWLINE, from, tokenStart);
    const last = this.input.text.lastIndexOf('"', end - 1);
    return last >= from ? last : -1;
  }

  /**
   * Length of an `inc` match at a line start, 0 if none. Unquoted it covers the same run as STRING
   * and wins the tie (it comes first in lexer.l); quoted it is longer.
   */
  private includeLength(start: number, end: number): number {
    const input = this.input;
    let i = start;
    while (i < end && isBlank(input.byte(i))) i++;
    if (end - i < INCLUDE.length + 1) return 0;
    for (let k = 0; k < INCLUDE.length; k++) if (input.byte(i + k) !== INCLUDE[k]) return 0;
    i += INCLUDE.length;
    if (!isBlank(input.byte(i))) return 0;
    while (i < end && isBlank(input.byte(i))) i++;
    if (i < end || !input.has(end, start) || input.byte(end) !== 0x22) return end - start;
    const close = this.lastQuoteOnLine(end + 1, start);
    if (close === -1) return end - start;
    let after = close + 1;
    while (input.has(after, start) && isBlank(input.byte(after))) after++;
    return after - start;
  }

  /** lexer.l validateinclude(): the path after `include`, unquoted and trimmed; undefined when empty. */
  private includePath(match: string): string | undefined {
    const rest = cTrim(cTrim(cString(match)).replace(/^include[\t-\r ]*/, ''));
    if (rest === '') return undefined;
    // `""` strips to an empty path, which fopen() refuses: a crash, like any other missing file.
    return rest.startsWith('"') && rest.endsWith('"') ? cTrim(rest.slice(1, -1)) : rest;
  }
}

/** File text in a log line: printable ASCII as is, every other byte as \xNN (a binary file stays readable). */
export function escapeBytes(text: string, max = 60): string {
  const cut = text.length > max ? `${text.slice(0, max)}...` : text;
  return cut.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
