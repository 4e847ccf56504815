/**
 * Puts split snapshots back together. Parts of one snapshot share (epoch, seq); they may arrive
 * duplicated, out of order, or never (the bridge drains unread parts when it publishes a newer
 * snapshot). Only one snapshot is assembled at a time, so memory is bounded by one snapshot:
 * a part of a newer snapshot abandons the current one, a part of an older one is ignored.
 */
import { SnapshotFormatError } from './errors.ts';
import type { Snapshot, SnapshotPart } from './format.ts';

export interface AssemblerCounters {
  completed: number;
  /** Snapshots abandoned with parts missing (a newer one started). */
  abandoned: number;
  /** Duplicates, parts of older snapshots, parts that contradict their siblings. */
  ignored: number;
}

export class SnapshotAssembler {
  readonly counters: AssemblerCounters = { completed: 0, abandoned: 0, ignored: 0 };
  private current: { epoch: string; seq: number; parts: Map<number, SnapshotPart> } | undefined;
  private last: { epoch: string; seq: number } | undefined;

  /** The complete snapshot when `part` was its last missing piece, else undefined. */
  add(part: SnapshotPart): Snapshot | undefined {
    if (this.isOld(part)) {
      this.counters.ignored++;
      return undefined;
    }
    if (!this.current || this.current.epoch !== part.epoch || this.current.seq !== part.seq) {
      if (this.current) this.counters.abandoned++;
      this.current = { epoch: part.epoch, seq: part.seq, parts: new Map() };
    }
    const parts = this.current.parts;
    const sibling = parts.values().next().value as SnapshotPart | undefined;
    if (parts.has(part.part) || (sibling && !agrees(sibling, part))) {
      this.counters.ignored++;
      return undefined;
    }
    parts.set(part.part, part);
    if (parts.size < part.parts) return undefined;
    this.current = undefined;
    this.last = { epoch: part.epoch, seq: part.seq };
    const ordered = [...parts.values()].sort((a, b) => a.part - b.part);
    const servers = ordered.flatMap((p) => p.servers);
    // Parts that each look fine can still leave holes or overlaps between them.
    let next = 0;
    for (const p of ordered) {
      if (p.first !== next) throw new SnapshotFormatError(`part ${p.part} starts at line ${p.first}, expected ${next}`);
      next += p.servers.length;
    }
    if (servers.length !== part.total) throw new SnapshotFormatError(`parts hold ${servers.length} servers, header says ${part.total}`);
    if (servers.filter((s) => s.recommended).length > 1) throw new SnapshotFormatError('more than one recommended server');
    this.counters.completed++;
    return { epoch: part.epoch, seq: part.seq, time: part.time, servers };
  }

  private isOld(part: SnapshotPart): boolean {
    const ref = this.current ?? this.last;
    if (!ref || ref.epoch !== part.epoch) return false;
    // The just-completed snapshot's own parts (duplicates) are old too.
    return part.seq < ref.seq || (ref === this.last && part.seq === ref.seq);
  }
}

function agrees(a: SnapshotPart, b: SnapshotPart): boolean {
  return a.parts === b.parts && a.total === b.total && a.time === b.time;
}
