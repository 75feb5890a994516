/**
 * Retention (PurgeTxnLog): keeps the newest `retainCount` valid snapshots and every log file a
 * recovery from the oldest of them needs (the newest log starting at or before it, and all later
 * ones); removes older snapshots (compressed and temporary ones included) and older logs.
 */
import { assert } from '../util/assert.js';
import type { FileSystem } from '../ports/file-system.js';
import { LOG_PREFIX, SNAPSHOT_PREFIX, joinPath, logFilesFrom, sortDataFiles, versionDir, type DataFileName } from './file-names.js';
import type { DataDirs } from './recovery.js';
import { listSnapshots, snapshotProblem } from './snapshot.js';

/** Snapshot files examined for validity at most (newest first) in one purge. */
export const PURGE_SNAPSHOTS_EXAMINED_MAX = 1_000;

export interface PurgeResult {
  /** Paths of the files removed. */
  readonly removed: string[];
  /** Paths of the valid snapshots kept, newest first. */
  readonly retainedSnapshots: string[];
}

/**
 * Removes what recovery from the newest `retainCount` (>= 1) valid snapshots does not need.
 * Removes NOTHING when no snapshot validates. ZooKeeper's tools insist on at least 3; the
 * configuration layer should too. The removals are durable when the promise resolves.
 */
export async function purge(fs: FileSystem, dirs: DataDirs, retainCount: number): Promise<PurgeResult> {
  assert(Number.isInteger(retainCount) && retainCount >= 1, 'retainCount must be a positive integer');
  const snapDir = versionDir(dirs.dataDir);
  const logDir = versionDir(dirs.dataLogDir);
  const retained = await newestValidSnapshots(fs, snapDir, retainCount, await listSnapshots(fs, dirs.dataDir));
  const oldest = retained[retained.length - 1];
  if (oldest === undefined) return { removed: [], retainedSnapshots: [] };
  const logs = sortDataFiles(await fs.list(logDir), LOG_PREFIX);
  const neededLogs = new Set(logFilesFrom(logs.filter((log) => log.suffix === ''), oldest.zxid).map((log) => log.name));
  const doomedLogs = logs.filter((log) => log.zxid < oldest.zxid && !neededLogs.has(log.name)).map((log) => joinPath(logDir, log.name));
  const snapshots = sortDataFiles(await fs.list(snapDir), SNAPSHOT_PREFIX);
  const doomedSnapshots = snapshots.filter((snap) => snap.zxid < oldest.zxid).map((snap) => joinPath(snapDir, snap.name));
  const removed = [...doomedLogs, ...doomedSnapshots];
  for (const path of removed) await fs.remove(path);
  const touched = new Set([...(doomedLogs.length > 0 ? [logDir] : []), ...(doomedSnapshots.length > 0 ? [snapDir] : [])]);
  for (const dir of touched) await fs.syncDir(dir);
  return { removed, retainedSnapshots: retained.map((snap) => joinPath(snapDir, snap.name)) };
}

async function newestValidSnapshots(
  fs: FileSystem, snapDir: string, count: number, newestFirst: readonly DataFileName[],
): Promise<DataFileName[]> {
  const valid: DataFileName[] = [];
  for (const snap of newestFirst.slice(0, PURGE_SNAPSHOTS_EXAMINED_MAX)) {
    if (valid.length === count) break;
    if (snap.suffix !== '') continue;
    if ((await snapshotProblem(fs, joinPath(snapDir, snap.name))) === undefined) valid.push(snap);
  }
  return valid;
}
