/**
 * A server's logged txns in zxid order, and how far they are committed. Txns up to `base` are
 * compacted into a snapshot (committed, no longer held): a learner behind `base` gets a SNAP.
 */
import { assert } from '../util/assert.js';
import type { Entry } from './messages.js';

export class History {
  private entries: Entry[] = [];
  /** Index of the last committed entry + 1. */
  private committedCount = 0;
  private baseZxid: bigint;

  constructor(entries: readonly Entry[] = [], base = 0n) {
    this.baseZxid = base;
    for (const e of entries) if (e.zxid > base) this.append(e);
  }

  /** The zxid the held entries follow (a snapshot's; 0 when the history is whole). */
  get base(): bigint {
    return this.baseZxid;
  }

  get lastZxid(): bigint {
    return this.entries.at(-1)?.zxid ?? this.baseZxid;
  }

  get lastCommittedZxid(): bigint {
    return this.committedCount === 0 ? this.baseZxid : this.entries[this.committedCount - 1]!.zxid;
  }

  get length(): number {
    return this.entries.length;
  }

  all(): readonly Entry[] {
    return this.entries;
  }

  append(entry: Entry): void {
    assert(entry.zxid > this.lastZxid, () => `history zxid ${entry.zxid} after ${this.lastZxid}`);
    this.entries.push(entry);
  }

  /** Index of the last entry with zxid <= `zxid`, or -1. */
  private indexAtOrBefore(zxid: bigint): number {
    let lo = 0;
    let hi = this.entries.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.entries[mid]!.zxid <= zxid) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  has(zxid: bigint): boolean {
    if (zxid === this.baseZxid) return true;
    const i = this.indexAtOrBefore(zxid);
    return i >= 0 && this.entries[i]!.zxid === zxid;
  }

  /** The last zxid <= `zxid` this history holds (0 when none): where a diverged learner is cut. */
  floor(zxid: bigint): bigint {
    const i = this.indexAtOrBefore(zxid);
    return i < 0 ? this.baseZxid : this.entries[i]!.zxid;
  }

  /** Entries after `zxid`. */
  after(zxid: bigint): readonly Entry[] {
    return this.entries.slice(this.indexAtOrBefore(zxid) + 1);
  }

  /** Drops every entry after `zxid`; they must not be committed. */
  truncate(zxid: bigint): void {
    const keep = this.indexAtOrBefore(zxid) + 1;
    assert(keep >= this.committedCount, () => `truncating committed entries after ${zxid}`);
    this.entries.length = keep;
  }

  /** Commits every entry up to `zxid`; returns the newly committed ones, in order. */
  commit(zxid: bigint): Entry[] {
    const upTo = this.indexAtOrBefore(zxid) + 1;
    if (upTo <= this.committedCount) return [];
    const out = this.entries.slice(this.committedCount, upTo);
    this.committedCount = upTo;
    return out;
  }

  /** Everything is now a snapshot at `zxid` (SNAP): no entries held, all committed. */
  resetTo(zxid: bigint): void {
    this.entries = [];
    this.committedCount = 0;
    this.baseZxid = zxid;
  }

  /** Forgets the oldest committed entries beyond `retain` (they live on in snapshots and logs). */
  compact(retain: number): void {
    const drop = this.committedCount - retain;
    if (drop <= 0 || drop < Math.max(64, retain >> 3)) return;
    this.baseZxid = this.entries[drop - 1]!.zxid;
    this.entries.splice(0, drop);
    this.committedCount -= drop;
  }
}
