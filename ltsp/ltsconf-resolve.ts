/**
 * Which values a client gets from parsed lts.conf sections: getltscfg.c main() (lines 450-547).
 *
 * getltscfg builds a chain of sections, then applies it from the tail to the head, so the head wins:
 * 1. the FIRST section whose name equals (case-insensitively) the client's hostname, else its IP,
 *    else its MAC (lowercase, colon separated): one section, not a merge (453-460);
 * 2. every `LIKE = name` line of every section in the chain, in chain order (breadth first), each
 *    adding the first section of that name (462-472);
 * 3. for the hostname, the IP and the MAC in turn, the first wildcard section (fnmatch, case-folded;
 *    one that is not an exact match) and again every LIKE (474-488);
 * 4. the first `[Default]` (493), whose own LIKE lines are never followed.
 * Within a section a later line wins (add_tuple replaces, 231-249). Only the first of several
 * sections with one name is ever found (find_chain_entry stops at the first, 202). Keys compare
 * case-insensitively; a value `NONE` (any case) is never printed, so it unsets the key (519-541).
 *
 * getltscfg follows LIKE without a loop check and never ends on a loop; here a section already in
 * the chain is not added again, which gives what getltscfg's chain would converge to, and the loop
 * is reported.
 */
import { fnmatch } from './fnmatch.ts';
import { escapeBytes } from './ltsconf-lexer.ts';
import type { Issue, Section, Where } from './ltsconf-parser.ts';

export interface ClientIdentity {
  hostname?: string | undefined;
  ip?: string | undefined;
  mac?: string | undefined;
}

export interface ResolvedValue {
  value: string;
  at: Where;
  section: string;
}

export interface Resolution {
  /** Upper-case key -> value, as `getltscfg -a` prints them (NONE dropped). */
  values: Map<string, ResolvedValue>;
  /** Section names in the order getltscfg applies them, strongest first. */
  chain: string[];
  issues: Issue[];
}

const lower = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
const upper = (s: string): string => s.replace(/[a-z]+/g, (m) => m.toUpperCase());
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const utf8 = (s: string): string => Buffer.from(s, 'latin1').toString('utf8');

export function resolveSections(sections: readonly Section[], client: ClientIdentity, where: (pos: number) => Where): Resolution {
  const issues: Issue[] = [];
  const lowerNames = sections.map((s) => lower(s.name));
  const firstByName = new Map<string, number>();
  lowerNames.forEach((name, i) => {
    if (!firstByName.has(name)) firstByName.set(name, i);
  });
  const findExact = (name: string): number => firstByName.get(lower(name)) ?? -1;
  // A name without *, ?, [ or \ matches by fnmatch only what it equals, which is not a glob match.
  // (A loop, not flatMap: the hook runs on Node 8.10 and 10, which lack it.)
  const globs: number[] = [];
  lowerNames.forEach((name, i) => {
    if (/[*?[\\]/.test(name)) globs.push(i);
  });
  const findGlob = (id: string): number => globs.find((i) => lowerNames[i] !== lower(id) && fnmatch(sections[i]!.name, id)) ?? -1;
  const likes = (i: number): { target: number; tuple: Section['tuples'][number] }[] =>
    sections[i]!.tuples.filter((t) => lower(t.key) === 'like').map((tuple) => ({ target: findExact(tuple.value), tuple }));

  const chain: number[] = [];
  const inChain = new Set<number>();
  const add = (i: number): void => {
    if (i === -1 || inChain.has(i)) return;
    inChain.add(i);
    chain.push(i);
  };
  let walked = 0;
  const followLikes = (): void => {
    for (; walked < chain.length; walked++) for (const { target } of likes(chain[walked]!)) add(target);
  };
  // getltscfg without -n: hostname, then IP and MAC of the first interface ("" when it has none).
  const ids = [client.hostname ?? '', client.ip ?? '', client.mac?.toLowerCase() ?? ''];
  for (const id of ids) {
    const i = findExact(id);
    if (i !== -1) {
      add(i);
      break;
    }
  }
  followLikes();
  for (const id of ids) {
    add(findGlob(id));
    followLikes();
  }
  const byDefault = findExact('default');
  if (byDefault !== -1 && !inChain.has(byDefault) && likes(byDefault).length > 0) {
    issues.push({ at: where(likes(byDefault)[0]!.tuple.pos), message: 'LIKE in [Default] is ignored: getltscfg adds [Default] last and follows no LIKE after it (getltscfg.c:493)' });
  }
  add(byDefault);

  for (const i of chain) {
    for (const { target, tuple } of likes(i)) {
      if (target === -1) issues.push({ at: where(tuple.pos), message: `LIKE = ${escapeBytes(tuple.value)}: no section has that name, so nothing is added` });
    }
  }
  const loop = findLikeLoop(chain, likes);
  if (loop) {
    const path = loop.map((i) => `[${escapeBytes(sections[i]!.name)}]`).join(' -> ');
    issues.push({
      at: where(sections[loop[0]!]!.pos),
      message: `LIKE loop ${path}: getltscfg follows LIKE with no loop check and never finishes, so this client would hang at boot (getltscfg.c:462-472); here each section counts once`,
    });
  }
  sections.forEach((s, i) => {
    const first = firstByName.get(lowerNames[i]!)!;
    if (first !== i) {
      const was = where(sections[first]!.pos);
      issues.push({ at: where(s.pos), message: `[${escapeBytes(s.name)}] repeats the section at ${escapeBytes(was.file)} line ${was.line}: getltscfg uses only the first, so these ${s.tuples.length} line(s) are ignored (getltscfg.c:202)` });
    }
  });

  // add_tuple from the tail to the head: a stronger section overwrites a weaker one (getltscfg.c:496-506).
  const all = new Map<string, { value: string; pos: number; section: string }>();
  for (const i of [...chain].reverse()) {
    for (const t of sections[i]!.tuples) {
      if (lower(t.key) !== 'like') all.set(upper(t.key), { value: t.value, pos: t.pos, section: sections[i]!.name });
    }
  }
  const values = new Map<string, ResolvedValue>();
  for (const [key, v] of all) {
    if (lower(v.value) === 'none') continue;
    const at = where(v.pos);
    if (!SHELL_NAME.test(key) || v.value.includes('"')) {
      issues.push({
        at,
        message: `${SHELL_NAME.test(key) ? `the value of ${key} contains a double quote` : `key "${escapeBytes(key)}" is not a shell variable name`}: ltsp_config's \`eval $(getltscfg -a)\` breaks on it (ltsp_config.d/01-getltscfg:3), so the client probably gets none of lts.conf's values`,
      });
    }
    values.set(utf8(key), { value: utf8(v.value), at, section: utf8(v.section) });
  }
  return { values, chain: chain.map((i) => utf8(sections[i]!.name)), issues };
}

/**
 * A cycle of LIKE edges reachable from the chain, as section indices (first repeated at the end).
 * Iterative: a hostile file can chain thousands of sections.
 */
function findLikeLoop(chain: number[], likes: (i: number) => { target: number }[]): number[] | undefined {
  const state = new Map<number, 'open' | 'done'>();
  for (const root of chain) {
    if (state.has(root)) continue;
    const path: { node: number; next: number[] }[] = [];
    const enter = (node: number): void => {
      state.set(node, 'open');
      path.push({ node, next: likes(node).map((l) => l.target).filter((t) => t !== -1) });
    };
    enter(root);
    while (path.length > 0) {
      const top = path[path.length - 1]!;
      const target = top.next.shift();
      if (target === undefined) {
        state.set(top.node, 'done');
        path.pop();
      } else if (state.get(target) === 'open') {
        const nodes = path.map((p) => p.node);
        return [...nodes.slice(nodes.indexOf(target)), target];
      } else if (!state.has(target)) {
        enter(target);
      }
    }
  }
  return undefined;
}
