/**
 * fnmatch(3) as getltscfg calls it for wildcard sections (`getltscfg.c:205`, flags FNM_CASEFOLD only):
 * `*` and `?` match any character, `/` and a leading `.` included; `[...]` with `!` or `^`, ranges
 * and `[:class:]`; `\` quotes the next character; an unclosed `[` is an ordinary character; case
 * folded in the C locale (ASCII only). Pattern and name are byte strings (latin1).
 */

const fold = (c: string): string => (c >= 'A' && c <= 'Z' ? String.fromCharCode(c.charCodeAt(0) + 32) : c);

const CLASSES: Record<string, (c: number) => boolean> = {
  alpha: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  digit: (c) => c >= 48 && c <= 57,
  alnum: (c) => CLASSES.alpha!(c) || CLASSES.digit!(c),
  upper: (c) => c >= 65 && c <= 90,
  lower: (c) => c >= 97 && c <= 122,
  xdigit: (c) => CLASSES.digit!(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
  space: (c) => c === 32 || (c >= 9 && c <= 13),
  blank: (c) => c === 32 || c === 9,
  punct: (c) => c > 32 && c < 127 && !CLASSES.alnum!(c),
  print: (c) => c >= 32 && c < 127,
  graph: (c) => c > 32 && c < 127,
  cntrl: (c) => c < 32 || c === 127,
};

/** The bracket expression at `p[i]` (just after `[`): whether it matches `c`, and where it ends; null if unclosed. */
function bracket(p: string, i: number, c: string): { matches: boolean; next: number } | null {
  let negate = false;
  if (p[i] === '!' || p[i] === '^') {
    negate = true;
    i++;
  }
  let matches = false;
  let first = true;
  while (i < p.length) {
    if (p[i] === ']' && !first) return { matches: matches !== negate, next: i + 1 };
    first = false;
    if (p.startsWith('[:', i)) {
      const end = p.indexOf(':]', i + 2);
      const test = end === -1 ? undefined : CLASSES[p.slice(i + 2, end)];
      if (test) {
        if (test(c.charCodeAt(0))) matches = true;
        i = end + 2;
        continue;
      }
    }
    let lo = p[i]!;
    if (lo === '\\' && i + 1 < p.length) lo = p[++i]!;
    i++;
    let hi = lo;
    if (p[i] === '-' && i + 1 < p.length && p[i + 1] !== ']') {
      hi = p[i + 1] === '\\' && i + 2 < p.length ? p[i + 2]! : p[i + 1]!;
      i += p[i + 1] === '\\' ? 3 : 2;
    }
    if (fold(lo) <= c && c <= fold(hi)) matches = true;
  }
  return null;
}

export function fnmatch(pattern: string, name: string): boolean {
  const p = pattern;
  const s = name;
  // Most wildcard sections are a literal prefix and a star (`[02:fc:00:*]`): reject on the prefix first.
  const special = p.search(/[*?[\\]/);
  const prefix = special === -1 ? p.length : special;
  if (s.length < prefix) return false;
  for (let i = 0; i < prefix; i++) if (fold(p[i]!) !== fold(s[i]!)) return false;
  // Positions already known not to match: keeps `*a*a*a*...` linear in pattern x name, not exponential.
  const failed = new Set<number>();
  const match = (pi: number, si: number): boolean => {
    const memo = pi * (s.length + 1) + si;
    if (failed.has(memo)) return false;
    const ok = matchFrom(pi, si);
    if (!ok) failed.add(memo);
    return ok;
  };
  const matchFrom = (pi: number, si: number): boolean => {
    while (pi < p.length) {
      const pc = p[pi]!;
      if (pc === '*') {
        while (p[pi] === '*') pi++;
        if (pi === p.length) return true;
        for (let k = si; k <= s.length; k++) if (match(pi, k)) return true;
        return false;
      }
      if (si >= s.length) return false;
      const sc = fold(s[si]!);
      if (pc === '?') {
        pi++;
        si++;
        continue;
      }
      if (pc === '[') {
        const b = bracket(p, pi + 1, sc);
        if (b) {
          if (!b.matches) return false;
          pi = b.next;
          si++;
          continue;
        }
      }
      let lit = pc;
      if (pc === '\\') {
        if (pi + 1 >= p.length) return false; // glibc: a trailing backslash never matches
        lit = p[++pi]!;
      }
      if (fold(lit) !== sc) return false;
      pi++;
      si++;
    }
    return si === s.length;
  };
  return match(0, 0);
}
