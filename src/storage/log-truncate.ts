/**
 * TRUNC: cuts the txn log back to `zxid` (ZooKeeper's FileTxnLog.truncate), when a leader tells a
 * learner that txns it logged in an older epoch were never committed. Files that start after
 * `zxid` are removed; the file holding `zxid` is rewritten with its txns up to `zxid` only. The
 * log must be closed (no TxnLog appending to it) while this runs.
 */
import { encodeTxn } from '../proto/txn.js';
import type { FileSystem } from '../ports/file-system.js';
import { LOG_PREFIX, joinPath, sortDataFiles, versionDir } from './file-names.js';
import { TXNLOG_DBID, TXNLOG_MAGIC, encodeFileHeader, encodeLogRecord } from './log-format.js';
import { LogReader } from './log-reader.js';

/** What truncation did, for the log. */
export interface Truncation {
  readonly removedFiles: string[];
  readonly rewrittenFile: string | undefined;
  readonly txnsDropped: number;
}

export async function truncateLog(fs: FileSystem, dataLogDir: string, zxid: bigint): Promise<Truncation> {
  const dir = versionDir(dataLogDir);
  const logs = sortDataFiles(await fs.list(dir), LOG_PREFIX).filter((f) => f.suffix === '');
  const removedFiles: string[] = [];
  let rewrittenFile: string | undefined;
  let txnsDropped = 0;
  for (const file of logs) {
    const path = joinPath(dir, file.name);
    if (file.zxid > zxid) {
      const reader = LogReader.open(fs, [path], { fromZxid: 0n });
      while ((await reader.next()) !== undefined) txnsDropped++;
      await fs.remove(path);
      removedFiles.push(path);
      continue;
    }
    // Only a file whose successor starts after `zxid` can hold txns beyond it.
    const next = logs[logs.indexOf(file) + 1];
    if (next !== undefined && next.zxid <= zxid) continue;
    const reader = LogReader.open(fs, [path], { fromZxid: 0n });
    const kept: Buffer[] = [encodeFileHeader(TXNLOG_MAGIC, TXNLOG_DBID)];
    let dropped = 0;
    for (let entry = await reader.next(); entry !== undefined; entry = await reader.next()) {
      if (entry.header.zxid <= zxid) kept.push(encodeLogRecord(encodeTxn(entry)));
      else dropped++;
    }
    if (dropped > 0) {
      await fs.writeFileAtomic(path, Buffer.concat(kept));
      rewrittenFile = path;
      txnsDropped += dropped;
    }
  }
  await fs.syncDir(dir);
  return { removedFiles, rewrittenFile, txnsDropped };
}
