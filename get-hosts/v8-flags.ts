/**
 * get_hosts lives about 100 ms. V8's optimizing compilers (TurboFan; Maglev too from V8 11, on by
 * default from Node 22) start compiling the parser's and the decision's hottest functions on
 * background threads, for a process that exits before that work pays back. Turned off once the
 * arguments are parsed: 10-19 ms less CPU per run with 30 servers, and the decision 20-30 % sooner,
 * on Node 8.10, 20, 22 and 24 (bench/get-hosts/survey.ts). Set at run time, not on the command line:
 * a V8 flag given to node at start makes it reject its built-in code cache, which costs more than
 * it saves. An unknown flag would be reported on stdout, so Maglev's is named only where V8 has it.
 * Never for long-lived processes (the greeter bridge): they do run long enough to gain from it.
 */
import { setFlagsFromString } from 'node:v8';

export function skipOptimizingCompilers(): void {
  setFlagsFromString('--no-opt');
  if (Number(process.versions.v8.split('.')[0]) >= 11) setFlagsFromString('--no-maglev');
}
