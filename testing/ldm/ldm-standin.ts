/**
 * A faithful stand-in for LDM 2.18's side of the greeter protocol, for testing the greeter wrapper.
 * It spawns LDM_GREETER (absolute path, as src/ldm.c get_ldm_env accepts) with no arguments, pipes
 * on stdin and stdout, stderr inherited (src/ldmutils.c ldm_spawn), and sends exactly the lines an
 * ssh login sends, in this order (read from upstream):
 *
 *   src/ldm.c main:       "pref choice;backend;Authentication Backend;Select _Backend ...;session;ssh\n"
 *                         then "value backend\n" (reply; "None" -> the default backend)
 *   src/ldmplugin.c:      "allowguest true\n" (the ssh plugin has a guest callback)
 *   src/plugin.c:         "prompt <b>Username</b>\nuserid\n"          (reply: the user name)
 *                         "prompts <b>Password</b>\npasswd\n"         (reply: the password)
 *                         "msg <b>Verifying password.  Please wait.</b>\n"
 *                         "hostname\n" "language\n" "session\n"       (one reply each)
 *   src/ldmgreetercomm.c: close_greeter: "quit\n", then waits for the greeter to exit, no time limit
 *
 * Replies are read as listen_greeter does: one line, whitespace-stripped; a line starting
 * "@backend@" or "@guest@" (case-insensitive) is a callback (here: recorded, and the login restarts
 * from "value backend", as the setjmp in ldm_auth_plugin does); any other line is the reply; end of
 * input is fatal ("<cmd> from greeter failed"). LDM never times out, and neither does this.
 * plugin.c get_host: a reply starting "None" (strncasecmp 4) keeps the server unset, and the ssh
 * plugin then dies with "missing mandatory information".
 *
 * Output: one JSON line on stdout, {"ok":true,"server":...,"user":...,"language":...,"session":...,
 * "callbacks":[...],"greeterExit":N} or {"ok":false,"error":"..."}. Exit 0 or 1.
 */
import { spawn } from 'node:child_process';

const greeterPath = process.env.LDM_GREETER;
if (!greeterPath || !greeterPath.startsWith('/')) throw new Error('LDM_GREETER must be an absolute path');

const greeter = spawn(greeterPath, [], { stdio: ['pipe', 'pipe', 'inherit'] });
greeter.stdin.on('error', () => undefined);
let buffered = '';
let ended = false;
const waiters: Array<() => void> = [];
greeter.stdout.setEncoding('utf8').on('data', (d: string) => {
  buffered += d;
  waiters.splice(0).forEach((w) => w());
});
greeter.stdout.on('end', () => {
  ended = true;
  waiters.splice(0).forEach((w) => w());
});
const exited = new Promise<number>((resolve) => greeter.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1))));

class GreeterFailed extends Error {}
class Callback extends Error {}

function askGreeter(cmd: string): void {
  greeter.stdin.write(cmd);
}

async function readLine(): Promise<string> {
  for (;;) {
    const nl = buffered.indexOf('\n');
    if (nl !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      return line;
    }
    if (ended) throw new GreeterFailed('end of input');
    await new Promise<void>((r) => waiters.push(r));
  }
}

const callbacks: string[] = [];
async function listenGreeter(cmd: string): Promise<string> {
  try {
    const text = (await readLine()).trim();
    const lower = text.toLowerCase();
    if (lower.startsWith('@backend@') || lower.startsWith('@guest@')) {
      callbacks.push(text);
      throw new Callback(text);
    }
    return text;
  } catch (err) {
    if (err instanceof GreeterFailed) throw new GreeterFailed(`${cmd.trim()} from greeter failed`);
    throw err;
  }
}

async function askValue(cmd: string): Promise<string> {
  askGreeter(cmd);
  return listenGreeter(cmd);
}

async function login(): Promise<Record<string, unknown>> {
  askGreeter('pref choice;backend;Authentication Backend;Select _Backend ...;session;ssh\n');
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const backend = await askValue('value backend\n');
      askGreeter('allowguest true\n');
      const user = await askValue('prompt <b>Username</b>\nuserid\n');
      const password = await askValue('prompts <b>Password</b>\npasswd\n');
      askGreeter('msg <b>Verifying password.  Please wait.</b>\n');
      const host = await askValue('hostname\n');
      const language = await askValue('language\n');
      const session = await askValue('session\n');
      const server = host.slice(0, 4).toLowerCase() === 'none' ? undefined : host;
      if (!server) throw new Error('ssh: no server: missing mandatory information');
      askGreeter('quit\n');
      return { ok: true, backend, user, password, server, language, session, callbacks, greeterExit: await exited };
    } catch (err) {
      if (!(err instanceof Callback)) throw err;
    }
  }
  throw new Error('five login restarts');
}

login().then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  },
  (err: Error) => {
    process.stdout.write(`${JSON.stringify({ ok: false, error: err.message, callbacks })}\n`);
    greeter.kill('SIGKILL');
    process.exit(1);
  },
);
