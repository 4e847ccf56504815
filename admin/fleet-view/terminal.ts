/**
 * The live terminal view, in the spirit of top: redrawn in place after every survey (cursor home,
 * each line overwritten and cleared to its end, the rest cleared: no full-screen clear, so no
 * flicker), on the alternate screen so the shell's scrollback is left as it was. Keys: q (or
 * Ctrl-C) quits, s cycles the sort.
 */
import type { FleetSnapshot } from './collect.ts';
import { renderTable, SORT_KEYS, type SortKey } from './table.ts';

const CSI = '\x1b[';

export interface LiveTerminal {
  render(snapshot: FleetSnapshot): void;
  /** Resolves when the viewer quits. */
  quit: Promise<void>;
  close(): void;
}

export function startLiveTerminal(input: NodeJS.ReadStream, output: NodeJS.WriteStream): LiveTerminal {
  let sort: SortKey = 'server';
  let last: FleetSnapshot | undefined;
  let closed = false;
  let onQuit: () => void = () => {};
  const quit = new Promise<void>((resolve) => (onQuit = resolve));
  const draw = (): void => {
    if (!last || closed) return;
    const lines = renderTable(last, output.columns ?? 80, sort).slice(0, Math.max(3, (output.rows ?? 24) - 1));
    output.write(`${CSI}H${lines.map((l) => `${l}${CSI}K`).join('\r\n')}\r\n${CSI}J`);
  };
  const onKey = (data: Buffer): void => {
    const key = data.toString('utf8');
    if (key === 'q' || key === 'Q' || key === '\x03') onQuit();
    else if (key === 's' || key === 'S') {
      sort = SORT_KEYS[(SORT_KEYS.indexOf(sort) + 1) % SORT_KEYS.length]!;
      draw();
    }
  };
  output.write(`${CSI}?1049h${CSI}?25l${CSI}H${CSI}2J`);
  if (input.isTTY) input.setRawMode(true);
  input.on('data', onKey);
  input.resume();
  output.on('resize', draw);
  return {
    render(snapshot) {
      last = snapshot;
      draw();
    },
    quit,
    close() {
      if (closed) return;
      closed = true;
      input.off('data', onKey);
      output.off('resize', draw);
      if (input.isTTY) input.setRawMode(false);
      input.pause();
      output.write(`${CSI}?25h${CSI}?1049l`);
    },
  };
}
