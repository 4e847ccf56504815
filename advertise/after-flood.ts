/**
 * Gives memory back once a TCP flood is over. A flood leaves tens of thousands of dead socket
 * objects in V8's old generation; V8 collects them only when it next needs room, and a daemon that
 * has gone quiet allocates almost nothing, so the resident set stays at the flood's level for hours.
 * When the open connections fall back to none after having been many, one full collection is asked
 * for (through V8's gc extension, enabled here at run time, since a flag on the command line would
 * have to be in every unit and wrapper).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Open connections that make a flood (a login storm of 1,400 clients holds far fewer at once). */
export const FLOOD_CONNECTIONS = 256;

let gc: (() => void) | undefined;
function fullGc(): void {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

export class AfterFlood {
  private peak = 0;

  /** Called once per sample with the open TCP connections. */
  check(open: number): void {
    this.peak = Math.max(this.peak, open);
    if (open > 0 || this.peak < FLOOD_CONNECTIONS) return;
    this.peak = 0;
    fullGc();
  }
}
