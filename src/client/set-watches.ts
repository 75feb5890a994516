/**
 * The SetWatches/SetWatches2 requests that re-arm a session's watches on a new connection.
 * Like the Java client, paths are split into batches of about 128 K characters so that no
 * frame outgrows jute.maxbuffer, and SetWatches (101) is used unless a batch holds
 * persistent watches, so servers older than 3.6 still understand it.
 */
import type { JuteWriter } from '../jute/writer.js';
import { OpCode } from '../proto/op-code.js';
import { SetWatches, SetWatches2 } from '../proto/records.js';

/** Java's SET_WATCHES_MAX_LENGTH: characters of paths per batch (a batch may overshoot by one path). */
export const SET_WATCHES_MAX_CHARS = 128 * 1024;

/** Server paths to re-arm, by kind. */
export interface WatchLists {
  readonly data: readonly string[];
  readonly exist: readonly string[];
  readonly child: readonly string[];
  readonly persistent: readonly string[];
  readonly persistentRecursive: readonly string[];
}

/** One request to send: its op code and body. */
export interface SetWatchesRequest {
  readonly opCode: number;
  readonly write: (w: JuteWriter) => void;
  readonly pathCount: number;
}

type Batch = { data: string[]; exist: string[]; child: string[]; persistent: string[]; persistentRecursive: string[] };
const ORDER = ['data', 'exist', 'child', 'persistent', 'persistentRecursive'] as const;

function emptyBatch(): Batch {
  return { data: [], exist: [], child: [], persistent: [], persistentRecursive: [] };
}

function toRequest(relativeZxid: bigint, batch: Batch): SetWatchesRequest {
  const pathCount = ORDER.reduce((n, kind) => n + batch[kind].length, 0);
  if (batch.persistent.length === 0 && batch.persistentRecursive.length === 0) {
    const value = { relativeZxid, dataWatches: batch.data, existWatches: batch.exist, childWatches: batch.child };
    return { opCode: OpCode.setWatches, write: (w) => SetWatches.write(w, value), pathCount };
  }
  const value = {
    relativeZxid,
    dataWatches: batch.data,
    existWatches: batch.exist,
    childWatches: batch.child,
    persistentWatches: batch.persistent,
    persistentRecursiveWatches: batch.persistentRecursive,
  };
  return { opCode: OpCode.setWatches2, write: (w) => SetWatches2.write(w, value), pathCount };
}

/** The requests that re-arm `lists` relative to `relativeZxid`; none when there is nothing to re-arm. */
export function buildSetWatches(
  relativeZxid: bigint,
  lists: WatchLists,
  maxChars: number = SET_WATCHES_MAX_CHARS,
): SetWatchesRequest[] {
  const requests: SetWatchesRequest[] = [];
  let batch = emptyBatch();
  let batchChars = 0;
  let batchPaths = 0;
  for (const kind of ORDER) {
    for (const path of lists[kind]) {
      if (batchChars >= maxChars) {
        requests.push(toRequest(relativeZxid, batch));
        batch = emptyBatch();
        batchChars = 0;
        batchPaths = 0;
      }
      batch[kind].push(path);
      batchChars += path.length;
      batchPaths++;
    }
  }
  if (batchPaths > 0) requests.push(toRequest(relativeZxid, batch));
  return requests;
}
