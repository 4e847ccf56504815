/**
 * `choose`: the reference greeter in a text terminal. Shows the live server list, Up/Down (or k/j)
 * move, Enter sends the choice over the choice queue, q/Esc/Ctrl-C leave without choosing. Keys are
 * decoded by node:readline's keypress support; the screen is the alternate screen, restored on
 * every way out.
 */
import { emitKeypressEvents } from 'node:readline';
import { UsageError } from '../shared/errors.ts';
import { encodeChoice } from './choice.ts';
import { initialSelection, moveSelection, renderChooser, type ChooserState } from './chooser-view.ts';
import { ChooseCancelledError, NoSnapshotError } from './errors.ts';
import { receiveSnapshots, type SnapshotReceiver } from './receive.ts';
import { sendMessage } from './transport.ts';

export interface ChooseOptions {
  queue: string;
  choiceQueue: string;
  /** Give up when no snapshot arrives in this many ms (0 = wait forever). */
  timeoutMs: number;
  input?: NodeJS.ReadStream;
  output?: NodeJS.WriteStream;
}

interface Key {
  name?: string;
  ctrl?: boolean;
}

const ENTER_ALT_SCREEN = '\x1b[?1049h\x1b[?25l';
const LEAVE_ALT_SCREEN = '\x1b[?25h\x1b[?1049l';

/** Resolves with the chosen server (already sent to the bridge). */
export function runChoose(opts: ChooseOptions): Promise<string> {
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stdout;
  if (!input.isTTY || !output.isTTY) throw new UsageError('choose needs a terminal on stdin and stdout (use watch in scripts)');
  const state: ChooserState = { snapshot: undefined, selected: undefined, message: '', queue: opts.queue };
  const draw = (): void => void output.write(renderChooser(state, output.columns || 80, output.rows || 24));

  return new Promise((resolve, reject) => {
    let receiver: SnapshotReceiver | undefined;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    let userMoved = false;
    const finish = (result: string | Error): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      receiver?.close();
      input.off('keypress', onKey);
      output.off('resize', draw);
      process.off('SIGTERM', onSignal).off('SIGHUP', onSignal);
      input.setRawMode(false);
      input.pause();
      output.write(LEAVE_ALT_SCREEN);
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onSignal = (): void => finish(new ChooseCancelledError());
    const choose = (): void => {
      const entry = state.snapshot?.servers.find((s) => s.server === state.selected);
      if (!entry) return;
      if (entry.status === 'Down') {
        state.message = `${entry.server} is Down: choose another server`;
        return draw();
      }
      try {
        if (!sendMessage(opts.choiceQueue, encodeChoice(entry.server))) {
          state.message = 'the bridge is not reading choices (queue full): try again';
          return draw();
        }
      } catch (err) {
        return finish(err as Error);
      }
      finish(entry.server);
    };
    const onKey = (_text: string | undefined, key: Key | undefined): void => {
      if (!key) return;
      if ((key.ctrl && key.name === 'c') || key.name === 'escape' || key.name === 'q') return finish(new ChooseCancelledError());
      if (!state.snapshot) return;
      const moves: Record<string, number> = { up: -1, k: -1, down: 1, j: 1, pageup: -10, pagedown: 10, home: -Infinity, end: Infinity };
      const delta = key.name ? moves[key.name] : undefined;
      if (delta !== undefined) {
        state.selected = moveSelection(state.snapshot, state.selected, Math.max(-1e6, Math.min(1e6, delta)));
        userMoved = true;
        state.message = '';
        return draw();
      }
      if (key.name === 'return' || key.name === 'enter') choose();
    };

    output.write(ENTER_ALT_SCREEN);
    emitKeypressEvents(input);
    input.setRawMode(true);
    input.on('keypress', onKey);
    input.resume();
    output.on('resize', draw);
    process.once('SIGTERM', onSignal).once('SIGHUP', onSignal);
    try {
      receiver = receiveSnapshots(opts.queue, opts.choiceQueue, (snap) => {
        if (timer) clearTimeout(timer);
        state.snapshot = snap;
        // The cursor follows the recommendation until the user moves it; then it stays on their row.
        if (!userMoved || !snap.servers.some((s) => s.server === state.selected)) state.selected = initialSelection(snap);
        draw();
      });
    } catch (err) {
      return finish(err as Error);
    }
    if (!state.snapshot && opts.timeoutMs > 0) timer = setTimeout(() => finish(new NoSnapshotError(opts.queue, opts.timeoutMs)), opts.timeoutMs);
    draw();
  });
}
