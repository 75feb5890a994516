/**
 * One full garbage collection after a large recovery. Loading a snapshot and replaying logs
 * leaves tens of MiB of garbage behind (file buffers, decoded records, the young generation
 * grown by the load); V8 collects it only when the program allocates again, so a server that
 * starts and then sits idle would keep it resident for as long as it stays idle. One collection
 * right after the load, before the first client, returns it at a cost of a few hundred ms on a
 * tree of a million znodes.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Recoveries that loaded fewer znodes plus txns than this leave too little garbage to matter... */
export const COMPACT_AFTER_LOADING_MIN = 10_000;
/** ...unless file buffers this large are still held (a ZooKeeper log is zero-padded to 64 MiB and read whole). */
export const COMPACT_EXTERNAL_BYTES_MIN = 32 * 1024 * 1024;

let collect: (() => void) | undefined;

/** V8's full collection (`gc()`), without starting node with --expose-gc. */
function fullCollection(): () => void {
  if (collect === undefined) {
    // The flag exposes `gc` to contexts made after it is set; a new context hands it over.
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  return collect;
}

export interface Compaction {
  readonly tookMs: number;
  /** V8 heap plus off-heap buffers in use, before and after (RSS follows as the freed pages are unmapped, concurrently). */
  readonly usedBeforeBytes: number;
  readonly usedAfterBytes: number;
}

function usedBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/** Collects once when `loaded` (znodes plus txns replayed) or the buffers held are large; undefined when it did not. */
export function compactAfterLoading(loaded: number): Compaction | undefined {
  const usage = process.memoryUsage();
  if (loaded < COMPACT_AFTER_LOADING_MIN && usage.external < COMPACT_EXTERNAL_BYTES_MIN) return undefined;
  const usedBeforeBytes = usage.heapUsed + usage.external;
  const started = performance.now();
  fullCollection()();
  return { tookMs: performance.now() - started, usedBeforeBytes, usedAfterBytes: usedBytes() };
}
