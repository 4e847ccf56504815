/**
 * get_hosts lives about 100 ms. V8's optimizing compilers (TurboFan; Maglev too from V8 11, on by
 * default from Node 22) start compiling the parser's and the decision's hottest functions on
 * background threads, for a process that exits before that work pays back. Turned off once the
 * arguments are parsed. Measured with 30 live servers on loopback (the fleet of
 * bench/get-hosts/survey.ts), 12 alternating runs per Node on 2 shared cores: 13-21 ms less CPU per
 * run and the decision's median 25-42 % sooner on Node 8.10, 20, 22 and 24; a refused port decided
 * no later. Set at run time, not on the command line: a V8 flag given to node at start makes it
 * reject its built-in code cache for everything, which costs more than it saves. An unknown flag
 * would be reported on stdout, so Maglev's is named only where V8 has it. Never for long-lived
 * processes (the greeter bridge): they do run long enough to gain from it.
 *
 * A V8 code cache (vm.Script createCachedData) made AFTER this call carries the changed flags and is
 * rejected at every later start (checked on Node 20 and 24): a code cache for the bundle must be
 * created before it, or by a process that never calls it.
 */
import cluster from 'node:cluster';
import dns from 'node:dns';
import { setFlagsFromString } from 'node:v8';

export function skipOptimizingCompilers(): void {
  // Changing a V8 flag also makes Node compile every built-in module it loads afterwards from
  // source, without its built-in code cache: so this runs after main.ts has loaded node:net, dgram,
  // os and child_process (bin/get_hosts.ts), and what node:dgram loads lazily on its first bind
  // (node:dns for the address, node:cluster) is loaded here first: used, so the bundler keeps it.
  // Set before them, the flags cost a refused-port run 6-9 ms.
  void [cluster, dns];
  setFlagsFromString('--no-opt');
  if (Number(process.versions.v8.split('.')[0]) >= 11) setFlagsFromString('--no-maglev');
}
