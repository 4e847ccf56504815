/**
 * The greeter wrapper: LDM starts it as its greeter (LDM_GREETER), it starts the real greeter and
 * passes every line through, both ways, except:
 *
 * - LDM's `hostname`: the greeter is still asked (its own answer, and the pick in the wrapper's
 *   status menu with `value ltsp-server`), a fresh decision is taken at that moment
 *   (balance/gather.ts: the bridge's survey cache when fresh, with the chosen server queried again,
 *   else a quick survey, one deadline), and LDM gets answer.ts's answer.
 * - the status menu: a `pref choice` pushed to the greeter when it starts and refreshed until the
 *   user picks in it (pushing it again resets the pick, greeter prefs.c);
 * - greeter notices (`@ltsp-server@` ...) are swallowed: LDM would take them as an answer;
 * - if the greeter dies, questions the wrapper can answer alone (hostname, language, session:
 *   `None` means "the default" to LDM) are answered; a question only the user can answer
 *   (user name, password) ends the wrapper, so LDM sees the end of input and restarts, as it does
 *   when its greeter dies without the wrapper.
 *
 * LDM has no timeouts of its own. The wrapper bounds everything it adds: the greeter's replies are
 * awaited at most `greeterReplyMs`, the decision at most its deadline plus DECISION_SLACK_MS; if the
 * decision fails, LDM gets the greeter's own answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { Decision } from '../balance/decide/decide.ts';
import { gatherDecision } from '../balance/gather.ts';
import type { Settings } from '../balance/settings.ts';
import { describeError } from '../shared/errors.ts';
import { logDebug, logError, logInfo, logWarning } from '../shared/log.ts';
import { chooseAnswer, menuEntries, type Picks } from './answer.ts';
import { readChoiceFile, removeChoiceFile } from './choice-file.ts';
import { LineCutter } from './lines.ts';
import { classifyCommand, classifyGreeterLine, MENU_KEY, menuCommand, type CommandKind } from './protocol.ts';

/** Longest line passed either way; LDM's and the greeter's real lines are under 1 KiB. */
export const MAX_LINE_BYTES = 64 * 1024;
/** On top of the decision's own deadline, for a machine busy starting X and the greeter. */
const DECISION_SLACK_MS = 250;
/** After LDM's `quit`, how long the greeter may take to exit before it is terminated. */
const QUIT_GRACE_MS = 5000;

export interface WrapperOptions {
  greeter: string;
  env: NodeJS.ProcessEnv;
  settings: Settings;
  clientKey: string;
  /** The bridge's choice file. */
  choicePath: string;
  /** Show the status menu in the greeter. */
  menu: boolean;
  greeterReplyMs: number;
  menuRefreshMs: number;
  fromLdm: Readable;
  toLdm: Writable;
}

type Expected = { to: 'ldm'; kind: CommandKind } | { to: 'own'; what: 'greeter' | 'menu'; request: HostnameRequest };

interface HostnameRequest {
  picks: Picks;
  waiting: number;
  done: boolean;
  wake: () => void;
}

export function runWrapper(opts: WrapperOptions): Promise<number> {
  return new Promise((resolve) => new Wrapper(opts, resolve).start());
}

class Wrapper {
  private greeter!: ChildProcess;
  private greeterAlive = false;
  private readonly expected: Expected[] = [];
  private readonly sessionStart = Date.now();
  private menuHosts: string[] | undefined;
  private menuPicked = false;
  private hostnameAsked = false;
  private quitting = false;
  /**
   * The greeter left the hostname question unanswered: its replies can no longer be matched to
   * questions (a late one would answer the next question), so from here the wrapper answers LDM
   * alone and drops what the greeter says.
   */
  private greeterMute = false;
  private finished = false;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly ldmServer: string[];

  constructor(private readonly opts: WrapperOptions, private readonly resolve: (code: number) => void) {
    this.ldmServer = (opts.env.LDM_SERVER ?? '').split(/\s+/).filter(Boolean);
  }

  start(): void {
    const stale = removeChoiceFile(this.opts.choicePath);
    if (stale) logWarning(`cannot remove the previous session's choice ${this.opts.choicePath}: ${stale} (files older than this greeter are ignored anyway)`);
    this.greeter = spawn(this.opts.greeter, [], { env: this.opts.env, stdio: ['pipe', 'pipe', 'inherit'] });
    this.greeterAlive = true;
    this.greeter.on('error', (err) => {
      logError(`cannot start the greeter ${this.opts.greeter}: ${err.message}`);
      this.onGreeterGone(1);
    });
    // 'close', not 'exit': the greeter's last lines are read before it counts as gone.
    this.greeter.on('close', (code, signal) => {
      if (!this.quitting) logWarning(`the greeter ${this.opts.greeter} exited (${signal ?? `code ${code}`}) before LDM said quit`);
      this.onGreeterGone(code ?? 1);
    });
    this.greeter.stdin!.on('error', () => undefined); // EPIPE when it died: handled by 'close'
    const fromGreeter = new LineCutter(MAX_LINE_BYTES, (l) => this.onGreeterLine(l), (n) => logWarning(`the greeter sent a line of ${n} bytes (limit ${MAX_LINE_BYTES}): dropped`));
    this.greeter.stdout!.on('data', (c: Buffer) => fromGreeter.push(c));
    const fromLdm = new LineCutter(MAX_LINE_BYTES, (l) => this.onLdmLine(l), (n) => logWarning(`LDM sent a line of ${n} bytes (limit ${MAX_LINE_BYTES}): dropped`));
    this.opts.fromLdm.on('data', (c: Buffer) => fromLdm.push(c));
    this.opts.fromLdm.on('end', () => this.finish(0, 'LDM closed the pipe'));
    this.opts.toLdm.on('error', () => this.finish(1, 'LDM stopped reading'));
    if (this.opts.menu) void this.refreshMenu();
  }

  // ---- LDM -> greeter

  private onLdmLine(line: Buffer): void {
    const kind = classifyCommand(line.toString('latin1'));
    if (kind === 'hostname') return void this.answerHostname();
    if (kind === 'quit') this.quitting = true;
    if (!this.greeterAlive || (this.greeterMute && kind !== 'silent' && kind !== 'quit')) return this.answerAlone(kind);
    this.toGreeter(Buffer.concat([line, Buffer.from('\n')]));
    if (kind === 'language' || kind === 'session' || kind === 'replied') this.expected.push({ to: 'ldm', kind });
    if (kind === 'quit') setTimeout(() => this.greeter.kill('SIGTERM'), QUIT_GRACE_MS).unref();
  }

  /** The greeter is gone: answer what needs no user, else end so LDM restarts the login. */
  private answerAlone(kind: CommandKind): void {
    if (kind === 'language' || kind === 'session') return this.toLdm(`None\n`);
    if (kind === 'quit') return this.finish(0, 'LDM said quit');
    if (kind === 'replied') this.finish(1, 'LDM asks the user something and the greeter is gone');
  }

  // ---- greeter -> LDM

  private onGreeterLine(line: Buffer): void {
    const text = line.toString('latin1');
    const c = classifyGreeterLine(text);
    if (c.kind === 'notice') {
      if (text.trim() === `@${MENU_KEY}@`) this.menuPicked = true;
      return logDebug(`greeter notice ${text.trim().slice(0, 80)} kept from LDM`);
    }
    if (c.kind === 'callback') {
      // LDM restarts the login: whatever it was waiting for is abandoned, a hostname answer included.
      // The wrapper's own questions stay in line (marked done): their replies may still come, and
      // must not reach LDM.
      for (const e of this.expected) if (e.to === 'own') e.request.done = true;
      const own = this.expected.filter((e) => e.to === 'own');
      this.expected.splice(0, this.expected.length, ...own);
      return this.toLdm(Buffer.concat([line, Buffer.from('\n')]));
    }
    if (this.greeterMute) return logDebug('greeter reply dropped: it missed a reply before');
    const head = this.expected.shift();
    if (!head || head.to === 'ldm') return this.toLdm(Buffer.concat([line, Buffer.from('\n')]));
    const r = head.request;
    if (r.done) return logDebug(`late greeter reply for an answered hostname request dropped`);
    if (head.what === 'greeter') r.picks.greeter = text;
    else r.picks.menu = text;
    if (--r.waiting === 0) r.wake();
  }

  private onGreeterGone(code: number): void {
    if (!this.greeterAlive) return;
    this.greeterAlive = false;
    clearTimeout(this.refreshTimer);
    if (this.quitting) return this.finish(code, 'the greeter exited after quit');
    const pending = this.expected.splice(0);
    for (const e of pending) {
      if (e.to === 'own') {
        e.request.waiting = 0;
        e.request.wake();
      } else this.answerAlone(e.kind);
    }
  }

  // ---- hostname

  private async answerHostname(): Promise<void> {
    const started = performance.now();
    this.hostnameAsked = true;
    clearTimeout(this.refreshTimer);
    const request: HostnameRequest = { picks: { defaultHost: this.ldmServer[0] }, waiting: 0, done: false, wake: () => undefined };
    const replies = new Promise<void>((wake) => (request.wake = wake));
    if (this.greeterAlive && !this.greeterMute) {
      this.toGreeter(Buffer.from('hostname\n'));
      this.expected.push({ to: 'own', what: 'greeter', request });
      request.waiting++;
      if (this.menuHosts) {
        this.toGreeter(Buffer.from(`value ${MENU_KEY}\n`));
        this.expected.push({ to: 'own', what: 'menu', request });
        request.waiting++;
      }
    }
    if (request.waiting === 0) request.wake();
    const [decision] = await Promise.all([this.decide(started), within(replies, this.opts.greeterReplyMs, () => {
      this.greeterMute = true;
      logWarning(`the greeter did not answer within ${this.opts.greeterReplyMs} ms: deciding without it, and answering LDM alone from now on`);
    })]);
    if (request.done) return logInfo('LDM restarted the login while the host was being decided: no answer sent');
    request.done = true;
    const file = readChoiceFile(this.opts.choicePath, this.sessionStart);
    if ('host' in file) request.picks.choiceFile = file.host;
    else if ('refused' in file) logWarning(`bridge choice not used: ${file.refused}`);
    removeChoiceFile(this.opts.choicePath);
    const answer = chooseAnswer(decision, request.picks, this.ldmServer);
    for (const r of answer.refused) logWarning(r);
    this.toLdm(`${answer.host}\n`);
    logInfo(`hostname: ${answer.host} in ${(performance.now() - started).toFixed(1)} ms: ${answer.why}`);
  }

  /** A fresh decision, or undefined when it fails or overruns its deadline (then the greeter's answer stands). */
  private async decide(startedAt: number): Promise<Decision | undefined> {
    const limit = this.opts.settings.timeoutMs + DECISION_SLACK_MS;
    try {
      const gathered = await within(
        gatherDecision(this.opts.settings, { clientKey: this.opts.clientKey, newRandom: () => Math.random, useCache: true, startedAt, onCacheRejected: (e) => logWarning(`survey cache not used: ${e.message}`) }),
        limit,
        () => logWarning(`no decision within ${limit} ms: the greeter's own answer stands`),
      );
      if (gathered) logDebug(`decision from ${gathered.source}${gathered.rechecked.length ? `, rechecked ${gathered.rechecked.join(' ')}` : ''}`);
      return gathered?.decision;
    } catch (err) {
      logWarning(`no decision (${describeError(err)}): the greeter's own answer stands`);
      return undefined;
    }
  }

  // ---- the status menu

  private async refreshMenu(): Promise<void> {
    const decision = await this.decide(performance.now());
    if (this.hostnameAsked || this.menuPicked || !this.greeterAlive || this.finished) return;
    if (decision) {
      const entries = menuEntries(decision);
      const hosts = entries.map((e) => e.split(' ')[0]!);
      // A new list while the user may have the window open would shift the entry they pick: only
      // the labels of the same hosts in the same order are refreshed.
      if (!this.menuHosts || hosts.join(' ') === this.menuHosts.join(' ')) {
        this.menuHosts = hosts;
        this.toGreeter(Buffer.from(menuCommand(entries)));
      }
    }
    this.refreshTimer = setTimeout(() => void this.refreshMenu(), this.opts.menuRefreshMs);
    this.refreshTimer.unref();
  }

  // ---- plumbing

  private toGreeter(data: Buffer): void {
    if (this.greeterAlive) this.greeter.stdin!.write(data);
  }

  private toLdm(data: Buffer | string): void {
    if (!this.finished) this.opts.toLdm.write(data);
  }

  private finish(code: number, why: string): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.refreshTimer);
    logDebug(`ending: ${why}`);
    if (this.greeterAlive) this.greeter.kill('SIGTERM');
    this.resolve(code);
  }
}

/** `p`'s value, or undefined (and `onLate` called) when it takes longer than `ms`. */
function within<T>(p: Promise<T>, ms: number, onLate: () => void): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => {
      onLate();
      resolve(undefined);
    }, ms);
  });
  // No Promise#finally: the wrapper runs on the chroot's Node, 8.10 at the oldest.
  const clear = <V>(v: V): V => {
    clearTimeout(timer);
    return v;
  };
  return Promise.race([p, late]).then(clear, (err: unknown) => {
    clear(undefined);
    throw err;
  });
}
