/**
 * A scripted stand-in for LDM's GTK greeter (ldmgtkgreet), behind the wrapper in its tests. It
 * handles commands as gtkgreet/greeter.c handle_command does: whitespace-stripped, matched by
 * case-insensitive prefix in greeter.c's order (msg, quit, prompt, userid, passwd, hostname,
 * language, session, choice, pref choice, value, allowguest); `pref choice` split on ";" into at most
 * 6 fields and the choices on "|"; `value KEY` answers "None" for entry 0 (Default, also never
 * opened) and the text of choice i for entry i (prefs.c); `hostname` answers the host selected in
 * its own menu of LDM_SERVER's hosts, entry 0 by default (hostwin.c); accepting a preference window
 * prints "@KEY@" (prefwin.c). What the "user" does comes from GREETER_SCRIPT (JSON, below).
 */
import { existsSync, writeFileSync } from 'node:fs';

interface Script {
  user?: string;
  password?: string;
  /** Pick the status-menu entry whose text starts with this host, before answering the password. */
  pickMenu?: string;
  /** Pick this host in the greeter's own host menu. */
  pickHost?: string;
  /** Exit abruptly (as a crash) when this command arrives. */
  crashOn?: string;
  /** Never answer this command. */
  silentOn?: string;
  /** Answer `hostname` with this instead. */
  hostnameReply?: string;
  /** Before answering the password: this many bytes without a newline, then a newline. */
  hugeLineBytes?: number;
  /** Before answering the password: these raw lines (garbage, notices). */
  extraLines?: string[];
  /** On `passwd`: write this file (the test knows the greeter is up), then hold the answer until `gate` exists. */
  ready?: string;
  gate?: string;
  /** Append every command received here, one per line. */
  record?: string;
}

const script = JSON.parse(process.env.GREETER_SCRIPT ?? '{}') as Script;
const hosts = (process.env.LDM_SERVER ?? '').split(' ');
let selectedHost = 0;
const prefs = new Map<string, { choices: string[]; value: number }>();
const out = (text: string): void => void process.stdout.write(text);
const received: string[] = [];

function startsWith(text: string, prefix: string): boolean {
  return text.slice(0, prefix.length).toLowerCase() === prefix;
}

async function handle(raw: string): Promise<void> {
  const buf = raw.trim();
  received.push(buf);
  if (script.record) writeFileSync(script.record, `${received.join('\n')}\n`);
  const name = ['msg', 'quit', 'prompt', 'userid', 'passwd', 'hostname', 'language', 'session', 'choice', 'pref choice', 'value', 'allowguest'].find((p) => startsWith(buf, p));
  if (name && script.crashOn === name) process.kill(process.pid, 'SIGSEGV');
  if (name && script.silentOn === name) return;
  switch (name) {
    case 'quit':
      process.exit(0);
      break;
    case 'userid':
      out(`${script.user ?? 'alice'}\n`);
      break;
    case 'passwd':
      if (script.ready) writeFileSync(script.ready, '');
      if (script.gate) while (!existsSync(script.gate)) await new Promise((r) => setTimeout(r, 20));
      if (script.pickMenu !== undefined) {
        const pref = prefs.get('ltsp-server');
        const i = pref ? pref.choices.findIndex((c) => c.startsWith(`${script.pickMenu} `) || c === script.pickMenu) : -1;
        if (pref && i !== -1) pref.value = i + 1; // entry 0 of the window is "Default"
        out('@ltsp-server@\n');
      }
      if (script.pickHost !== undefined) selectedHost = Math.max(0, hosts.indexOf(script.pickHost));
      if (script.hugeLineBytes) out(`${'x'.repeat(script.hugeLineBytes)}\n`);
      for (const l of script.extraLines ?? []) out(`${l}\n`);
      out(`${script.password ?? 'secret'}\n`);
      break;
    case 'hostname':
      out(`${script.hostnameReply ?? hosts[selectedHost] ?? 'None'}\n`);
      break;
    case 'language':
    case 'session':
      out('None\n');
      break;
    case 'pref choice': {
      const args = buf.split(';');
      const fields = [...args.slice(0, 5), args.slice(5).join(';')];
      prefs.set(fields[1]!, { choices: (fields[5] ?? '').split('|'), value: 0 });
      break;
    }
    case 'value': {
      const pref = prefs.get(buf.slice(6));
      out(`${pref && pref.value > 0 ? pref.choices[pref.value - 1] : 'None'}\n`);
      break;
    }
    default:
      break;
  }
}

let pending = '';
let chain = Promise.resolve();
process.stdin.setEncoding('utf8').on('data', (d: string) => {
  pending += d;
  for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    chain = chain.then(() => handle(line));
  }
});
process.stdin.on('end', () => void chain.then(() => process.exit(0)));
