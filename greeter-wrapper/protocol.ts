/**
 * The LDM <-> greeter protocol, as LDM 2.18/2.2 speaks it (read from upstream, not copied):
 *
 * - LDM writes one command per line on the greeter's stdin (`src/ldmgreetercomm.c` ask_greeter).
 *   The GTK greeter matches each by case-insensitive PREFIX, in this order (`gtkgreet/greeter.c`
 *   handle_command): msg, quit, prompt, userid, passwd, hostname, language, session, choice,
 *   pref choice, value, allowguest. So `prompts` is a `prompt`, and `pref choice` never reaches the
 *   `prompt` branch only because `pref` and `prom` differ.
 * - Commands that get a reply: userid and passwd (when the user presses Enter), hostname, language,
 *   session, value (at once), choice (when the user picks). The others get none.
 * - LDM reads replies one line at a time, whitespace-stripped (`listen_greeter`). A line starting
 *   `@backend@` or `@guest@` (case-insensitive) is a callback that restarts the login; ANY other
 *   line is taken as the reply to the question pending. LDM never times out.
 * - The greeter also prints notices LDM does not expect: `@<pref>@` when the user accepts a
 *   preference window (`gtkgreet/prefwin.c` prefwin_accept). LDM would take `@ltsp-server@` as the
 *   user name or the host, so the wrapper swallows every `@...@` line except the two callbacks.
 * - `pref choice;<key>;<title>;<menu label>;<icon>;<c1>|<c2>|...` adds a preference menu
 *   (split on ";" into at most 6 fields, choices on "|"). The window shows "Default" first, then
 *   the choices; `value <key>` answers `None` for Default (entry 0, also before the user ever opened
 *   it) and the text of choice i for entry i (`gtkgreet/prefs.c` greeter_pref_get_value). Pushing
 *   the same key again replaces the preference and resets it to Default.
 * - `hostname`: the GTK greeter answers the host selected in its own host menu (LDM_SERVER's list,
 *   entry 0 by default: `gtkgreet/hostwin.c`). An answer starting `None` leaves LDM without a
 *   server (`src/plugin.c` get_host), and ssh dies with "missing mandatory information".
 */

/** Commands whose reply LDM waits for, by the prefix the greeter matches them with. */
const REPLIED = ['userid', 'passwd', 'hostname', 'language', 'session', 'value', 'choice'];
/** Matched before any of the replied ones (greeter.c's order): none of these gets a reply. */
const SILENT_FIRST = ['msg', 'quit', 'prompt'];

export type CommandKind = 'hostname' | 'language' | 'session' | 'quit' | 'replied' | 'silent';

/** What the greeter will do with one LDM command line, decided exactly as greeter.c's prefix match does. */
export function classifyCommand(line: string): CommandKind {
  const text = line.trim().toLowerCase();
  for (const p of SILENT_FIRST) if (text.startsWith(p)) return p === 'quit' ? 'quit' : 'silent';
  for (const p of REPLIED) {
    if (!text.startsWith(p)) continue;
    if (p === 'hostname' || p === 'language' || p === 'session') return p;
    return 'replied';
  }
  return 'silent';
}

export type GreeterLine = { kind: 'callback' } | { kind: 'notice' } | { kind: 'reply' };

/** A line from the greeter: a callback LDM acts on, a notice LDM must not see, or a reply. */
export function classifyGreeterLine(line: string): GreeterLine {
  const text = line.trim();
  if (!text.startsWith('@')) return { kind: 'reply' };
  const lower = text.toLowerCase();
  if (lower.startsWith('@backend@') || lower.startsWith('@guest@')) return { kind: 'callback' };
  if (/^@[^@\s]{1,64}@$/.test(text)) return { kind: 'notice' };
  return { kind: 'reply' };
}

/** LDM's own test for "no answer" (plugin.c: g_ascii_strncasecmp(host, "None", 4)). */
export function isNone(reply: string): boolean {
  return reply.trim().slice(0, 4).toLowerCase() === 'none';
}

/** The key of the wrapper's status menu; its notice is `@ltsp-server@`. */
export const MENU_KEY = 'ltsp-server';

/** The `pref choice` line for the status menu; `entries` must be free of `|` and line breaks. */
export function menuCommand(entries: readonly string[]): string {
  for (const e of entries) if (/[|\r\n]/.test(e)) throw new RangeError(`menu entry ${JSON.stringify(e.slice(0, 40))} contains | or a line break`);
  return `pref choice;${MENU_KEY};Application server (Default: the best one when you log in);Select _Server (status) ...;host;${entries.join('|')}\n`;
}
