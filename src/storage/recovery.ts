/**
 * Startup recovery (FileTxnSnapLog.restore): the newest snapshot that validates, then every
 * logged txn after it, applied in zxid order. Works on ZooKeeper's own data directories.
 *
 * Refuses (RecoveryError / CorruptLogError) rather than load a tree that may miss txns: no valid
 * snapshot among those present, corruption in a needed log, a zxid gap between the snapshot and
 * the first txn after it or between two txns, or logs without any snapshot that do not start at
 * the beginning of an epoch.
 */
import { assert } from '../util/assert.js';
import { ErrorCode } from '../proto/error-code.js';
import { OpCode } from '../proto/op-code.js';
import { counterOf } from '../proto/zxid.js';
import type { TxnEntry } from '../proto/txn.js';
import type { FileSystem } from '../ports/file-system.js';
import type { ApplyResult, DataTree } from '../tree/data-tree.js';
import { parentOf } from '../tree/path.js';
import { CorruptSnapshotError, RecoveryError } from './errors.js';
import { LOG_PREFIX, joinPath, logFilesFrom, sortDataFiles, versionDir } from './file-names.js';
import { LogReader, zxidSequenceProblem, type TornTail } from './log-reader.js';
import { listSnapshots, loadSnapshot, PROGRESS_EVERY, type LoadProgress } from './snapshot.js';

/** Snapshots tried, newest first, before giving up (FileSnap tries 100). */
export const RECOVERY_SNAPSHOTS_TRIED_MAX = 100;
/** Backstop on txns replayed in one recovery (each one consumes bytes of a finite log). */
export const RECOVERY_TXNS_MAX = 2 ** 40;

/** Where the snapshots and the txn logs live (zoo.cfg dataDir and dataLogDir; often the same). */
export interface DataDirs {
  readonly dataDir: string;
  readonly dataLogDir: string;
}

export interface RecoveryResult {
  /** The zxid of the last txn in the tree (the snapshot's when no txn followed it; 0 when empty). */
  readonly lastZxid: bigint;
  /** Open sessions and their timeouts (ms): the snapshot's, plus createSession, minus closeSession. */
  readonly sessions: Map<bigint, number>;
  /** The zxid of the snapshot loaded; undefined when there was none. */
  readonly snapshotZxid: bigint | undefined;
  /** The torn tail cut from the newest log file, if any. */
  readonly truncated?: { file: string; atOffset: number; bytesDropped: number };
  /** Every torn tail cut, in file order (older files' tails are left by ZooKeeper crashes). */
  readonly tornTails: TornTail[];
  /** Snapshots passed over because they did not validate, newest first. */
  readonly skippedSnapshots: Array<{ file: string; reason: string }>;
  readonly txnsReplayed: number;
}

/**
 * Rebuilds `tree`, which must be FRESH (as constructed), from `dirs`. Torn log tails are cut off
 * the files (see log-reader.ts) only after every needed txn was read, so a refused directory is
 * left exactly as it was.
 */
export async function recover(fs: FileSystem, dirs: DataDirs, tree: DataTree, onProgress?: LoadProgress): Promise<RecoveryResult> {
  const skippedSnapshots: Array<{ file: string; reason: string }> = [];
  const snapshot = await loadNewestValidSnapshot(fs, dirs.dataDir, tree, skippedSnapshots, onProgress);
  // As DataTree.deserialize does: quotas are found, and their counts rebuilt, after the snapshot.
  if (snapshot !== undefined) tree.setupQuotas();
  const sessions = snapshot?.sessions ?? new Map<bigint, number>();
  const logPaths = await neededLogs(fs, dirs.dataLogDir, snapshot?.zxid ?? 0n);
  const reader = LogReader.open(fs, logPaths, { fromZxid: (snapshot?.zxid ?? 0n) + 1n });
  const replay = await replayLogs(reader, tree, sessions, snapshot?.zxid, onProgress);
  await reader.repair();
  const lastPath = logPaths[logPaths.length - 1];
  const lastTail = reader.tornTails.find((tail) => tail.file === lastPath);
  return {
    lastZxid: replay.lastZxid ?? snapshot?.zxid ?? 0n,
    sessions,
    snapshotZxid: snapshot?.zxid,
    ...(lastTail === undefined ? {} : { truncated: { file: lastTail.file, atOffset: lastTail.atOffset, bytesDropped: lastTail.bytesDropped } }),
    tornTails: reader.tornTails,
    skippedSnapshots,
    txnsReplayed: replay.count,
  };
}

async function loadNewestValidSnapshot(
  fs: FileSystem, dataDir: string, tree: DataTree, skipped: Array<{ file: string; reason: string }>, onProgress?: LoadProgress,
): Promise<{ zxid: bigint; sessions: Map<bigint, number> } | undefined> {
  const dir = versionDir(dataDir);
  const candidates = (await listSnapshots(fs, dataDir)).filter((file) => file.suffix !== 'tmp');
  for (const file of candidates.slice(0, RECOVERY_SNAPSHOTS_TRIED_MAX)) {
    const path = joinPath(dir, file.name);
    try {
      return await loadSnapshot(fs, path, tree, onProgress);
    } catch (error) {
      if (!(error instanceof CorruptSnapshotError)) throw error;
      skipped.push({ file: path, reason: error.reason });
    }
  }
  if (candidates.length > 0) {
    throw new RecoveryError(`no valid snapshot in ${dir} (tried ${Math.min(candidates.length, RECOVERY_SNAPSHOTS_TRIED_MAX)})`);
  }
  return undefined;
}

/** The plain log files that may hold txns after `snapshotZxid`, oldest first. */
async function neededLogs(fs: FileSystem, dataLogDir: string, snapshotZxid: bigint): Promise<string[]> {
  const dir = versionDir(dataLogDir);
  const logs = sortDataFiles(await fs.list(dir), LOG_PREFIX).filter((file) => file.suffix === '');
  return logFilesFrom(logs, snapshotZxid).map((file) => joinPath(dir, file.name));
}

async function replayLogs(
  reader: LogReader, tree: DataTree, sessions: Map<bigint, number>, snapshotZxid: bigint | undefined, onProgress?: LoadProgress,
): Promise<{ lastZxid: bigint | undefined; count: number }> {
  let lastZxid: bigint | undefined;
  let count = 0;
  for (let entry = await reader.next(); entry !== undefined; entry = await reader.next()) {
    assert(count < RECOVERY_TXNS_MAX, 'recovery replayed more txns than RECOVERY_TXNS_MAX');
    if (count === 0) checkFirstTxn(entry, snapshotZxid);
    replayTxn(tree, sessions, entry);
    lastZxid = entry.header.zxid;
    count++;
    if (onProgress !== undefined && count % PROGRESS_EVERY === 0) onProgress('log', count, 0);
  }
  return { lastZxid, count };
}

/** The first replayed txn must directly follow the snapshot (or start an epoch when there is none). */
function checkFirstTxn(entry: TxnEntry, snapshotZxid: bigint | undefined): void {
  const zxid = entry.header.zxid;
  if (snapshotZxid === undefined) {
    if (counterOf(zxid) !== 1n) throw new RecoveryError(`no snapshot, and the logs start at zxid 0x${zxid.toString(16)}: earlier txns are missing`);
    return;
  }
  const problem = zxidSequenceProblem(snapshotZxid, zxid);
  if (problem !== undefined) throw new RecoveryError(`txns between the snapshot and the logs are missing: ${problem}`);
}

/** FileTxnSnapLog.processTransaction: track sessions, then apply (the tree fixes up fuzzy creates). */
function replayTxn(tree: DataTree, sessions: Map<bigint, number>, entry: TxnEntry): void {
  const { header, body } = entry;
  if (body.type === OpCode.createSession) sessions.set(header.clientId, body.timeOut);
  else if (body.type === OpCode.closeSession) sessions.delete(header.clientId);
  tree.apply(header, body);
}
