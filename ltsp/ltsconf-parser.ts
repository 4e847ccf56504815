/**
 * getltscfg's grammar (LTSP 5 `client/getltscfg/parser.y`) and its include handling
 * (`getltscfg.c` process_include/parseConfig), as bison builds it. Bison resolves the grammar's three
 * conflicts so that the language is `(include | [name] (KEY = value)+)*`:
 * - a section needs at least one `KEY = value` (parser.y:47-54): an empty section is a syntax error;
 * - a key before the first section, or right after an include line, is a syntax error;
 * - there is no error recovery (no `error` token): the first syntax error ends parsing, and what was
 *   reduced before it stays. Bison reduces `[name]` and `KEY = value` without reading ahead, so a
 *   section header or a line right before the error still counts (`A =` then `B = 2` gives A="B").
 */
import { escapeBytes, FlexInput, Lexer, lineAt, type InputFile, type Token } from './ltsconf-lexer.ts';

/** getltscfg.c:82: the main file and its includes, at most. */
export const MAX_FILE_INCLUDES = 10;

export interface Where {
  file: string;
  line: number;
}

/** Positions are stream offsets, turned into file and line (`ParsedConf.where`) only when shown. */
export interface Tuple {
  key: string;
  value: string;
  pos: number;
}

export interface Section {
  name: string;
  pos: number;
  tuples: Tuple[];
}

export interface Issue {
  at?: Where;
  message: string;
}

export interface ParsedConf {
  sections: Section[];
  issues: Issue[];
  /** Set when getltscfg crashes, hangs or exits before printing: the client gets no lts.conf values. */
  fatal?: Issue;
  /** Every file opened, main first. */
  files: string[];
  where: (pos: number) => Where;
}

/** How the parser reaches included files (the disk, in ltsconf.ts). */
export interface FileAccess {
  /** Why fopen() of the path would not return (crash or hang), or undefined. */
  opens(path: string): string | undefined;
  /** stat()'s dev:ino, the identity getltscfg.c:635 compares; undefined if stat fails. */
  identity(path: string): string | undefined;
  /** The file's bytes, or `unreadable` set (read lazily by flex, so a failure bites only if reached). */
  load(path: string): InputFile;
}

type State = 'top' | 'afterLB' | 'afterName' | 'needDecl' | 'afterKey' | 'afterEq' | 'inSection';

const EXPECTED: Record<State, string> = {
  top: 'a [Section] header or an include line',
  afterLB: 'a section name',
  afterName: '"]"',
  needDecl: 'a KEY = value line (a section may not be empty)',
  afterKey: '"=" after the key',
  afterEq: 'a value after "="',
  inSection: 'a KEY = value line, a [Section] header or an include line',
};

export function parseLtsConfFiles(main: InputFile, access: FileAccess): ParsedConf {
  const input = new FlexInput(main);
  const out: ParsedConf = { sections: [], issues: [], files: [main.path], where: (pos) => input.where(pos) };
  const lexer = new Lexer(input, access);
  const seen = [access.identity(main.path) ?? `main:${main.path}`];
  let state: State = 'top';
  let section: Section | undefined;
  let name = '';
  let key: Token | undefined;
  let afterInclude = false;
  const includedAt = new Map<InputFile, Where>();

  const include = (tok: Token): void => {
    const at = input.where(tok.pos);
    const path = escapeBytes(tok.text);
    const id = access.identity(tok.text);
    if (id === undefined) {
      out.fatal = { at, message: `include ${path}: stat() fails, and getltscfg exits without printing anything (getltscfg.c:625-629)` };
      return;
    }
    if (seen.includes(id)) {
      out.issues.push({ at, message: `include ${path}: already read, skipped (getltscfg.c:668-670)` });
      return;
    }
    if (seen.length >= MAX_FILE_INCLUDES) {
      out.issues.push({ at, message: `include ${path}: more than ${MAX_FILE_INCLUDES} files, ignored (getltscfg.c:82, 664-666)` });
      return;
    }
    seen.push(id);
    out.files.push(tok.text);
    const previous = input.yyin;
    const next = access.load(tok.text);
    if (previous.read < previous.bytes.length) {
      const rest = previous.bytes.subarray(previous.read);
      const lost = lineAt(previous, previous.read);
      out.issues.push({
        at,
        message:
          previous.read === 0
            ? `${escapeBytes(previous.path)} is never read: this include replaced it before getltscfg got to it (getltscfg.c:660 sets yyin; flex reads it only when its buffer runs out)`
            : `getltscfg never reads ${escapeBytes(previous.path)} past line ${lost} because of this include: flex switches to ${path} when its 8 KiB buffer runs out, and ${rest.length} bytes of ${escapeBytes(previous.path)} are lost (getltscfg.c:660)`,
      });
    }
    // What flex buffered after the include line is read before the included file.
    const pending = input.slice(tok.pos, input.length).replace(/^[^\n]*/, '').replace(/#[^\n]*(\n|$)/g, '');
    if (/\S/.test(pending)) {
      out.issues.push({
        at,
        message: `${path} is read after the lines that follow this include (at the end of flex's 8 KiB buffer), not in their place: its lines before its first [Section] join the section open there (getltscfg.c:660)`,
      });
    }
    includedAt.set(next, at);
    input.yyin = next;
    afterInclude = true;
  };

  for (;;) {
    const tok = lexer.next();
    if (lexer.stoppedBy) {
      const { path, pos, why } = lexer.stoppedBy;
      out.fatal = { at: input.where(pos), message: `include ${escapeBytes(path)}: ${why}` };
      break;
    }
    if (input.failed) {
      const consequence = input.failed.pastOurCap
        ? 'ltsp-balance does not read on, so it cannot know what getltscfg gives this client'
        : 'flex stops with "input in flex scanner failed" and getltscfg prints nothing';
      out.fatal = { at: includedAt.get(input.failed) ?? input.where(tok.pos), message: `${escapeBytes(input.failed.path)}: ${input.failed.unreadable}; ${consequence}` };
      break;
    }
    const ok = step(tok);
    if (out.fatal) break;
    if (!ok) {
      // At the end of the file, name the last line, not the empty one after its newline.
      const at = input.where(tok.kind === 'EOF' ? Math.max(0, tok.pos - 1) : tok.pos);
      out.issues.push({ at, message: syntaxError(state, tok, input, afterInclude && state === 'top', key) });
      break;
    }
    if (tok.kind === 'EOF') break;
  }
  for (const echo of lexer.echoes.values()) {
    out.issues.push({
      at: input.where(echo.pos),
      message:
        `${JSON.stringify(echo.char)} ${echo.char === '#' ? 'with no newline after it (last line)' : echo.char === '"' ? 'with no closing quote on its line' : 'is not a quote getltscfg knows'}` +
        `${echo.count > 1 ? ` (${echo.count} times)` : ''}: getltscfg copies it to its output, which breaks \`eval $(getltscfg -a)\` in ltsp_config ` +
        '(lexer.l has no rule for it; ltsp_config.d/01-getltscfg:3): the client probably gets none of lts.conf\'s values. Use double quotes',
    });
  }
  return out;

  function step(tok: Token): boolean {
    switch (state) {
      case 'top':
      case 'inSection':
        if (tok.kind === 'EOF') return true;
        if (tok.kind === 'LB') return (state = 'afterLB'), true;
        if (tok.kind === 'INC') return include(tok), (state = 'top'), true;
        if (tok.kind === 'STRING' && state === 'inSection') return (key = tok), (state = 'afterKey'), true;
        return false;
      case 'afterLB':
        if (tok.kind !== 'STRING') return false;
        name = tok.text;
        return (state = 'afterName'), true;
      case 'afterName':
        if (tok.kind !== 'RB') return false;
        // parser.y:62-65: the section exists from here on, even if a syntax error follows.
        section = { name, pos: tok.pos, tuples: [] };
        out.sections.push(section);
        afterInclude = false;
        return (state = 'needDecl'), true;
      case 'needDecl':
        if (tok.kind !== 'STRING') return false;
        return (key = tok), (state = 'afterKey'), true;
      case 'afterKey':
        return tok.kind === 'EQUAL' && ((state = 'afterEq'), true);
      case 'afterEq':
        if (tok.kind !== 'STRING') return false;
        if (input.slice(key!.pos, tok.pos).includes('\n')) {
          out.issues.push({ at: input.where(key!.pos), message: `${escapeBytes(key!.text)} = has no value on its line: getltscfg takes the next word, "${escapeBytes(tok.text, 40)}", as its value` });
        }
        section!.tuples.push({ key: key!.text, value: tok.text, pos: key!.pos });
        return (state = 'inSection'), true;
    }
  }
}

function describe(tok: Token): string {
  if (tok.kind === 'EOF') return 'the end of the file';
  if (tok.kind === 'INC') return `include ${escapeBytes(tok.text)}`;
  if (tok.kind === 'STRING') return tok.text === '' ? 'an empty word' : `"${escapeBytes(tok.text, 40)}"`;
  return { EQUAL: '"="', LB: '"["', RB: '"]"' }[tok.kind];
}

function syntaxError(state: State, tok: Token, input: FlexInput, afterInclude: boolean, key: Token | undefined): string {
  let hint = '';
  if (state === 'afterKey' && key && input.where(key.pos).line !== input.where(tok.pos).line) {
    hint = `; line ${input.where(key.pos).line}, "${escapeBytes(key.text, 40)}", is not KEY = value`;
  }
  else if (state === 'top' && tok.kind === 'STRING') hint = afterInclude ? '; after an include line getltscfg needs a [Section] header' : '; a key before the first [Section]';
  else if (tok.kind === 'EQUAL' && (state === 'inSection' || state === 'afterEq')) hint = '; put a value that contains "=" in double quotes';
  if (input.slice(0, input.length).includes('\r\n')) hint += '; the file has CRLF line ends, and getltscfg reads the "\\r" after "]" as a word (lexer.l:28)';
  return `syntax error: ${describe(tok)} where getltscfg expects ${EXPECTED[state]}; it stops reading here and ignores the rest (parser.y has no error recovery)${hint}`;
}
