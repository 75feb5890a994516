/**
 * ZooKeeper's data-directory layout (persistence/Util.java): files live in `<dir>/version-2/`,
 * named `log.<hex zxid>` and `snapshot.<hex zxid>` with lowercase, unpadded hex (Long.toHexString).
 */

/** The sub-directory every ZooKeeper 3.x data directory keeps its files in. */
export const VERSION_DIR = 'version-2';
export const LOG_PREFIX = 'log';
export const SNAPSHOT_PREFIX = 'snapshot';

/** A file name that carries a zxid: `<prefix>.<hex>[.<suffix>]`. */
export interface DataFileName {
  readonly name: string;
  readonly zxid: bigint;
  /** What follows the hex zxid, without its dot: '' for a plain file, 'gz', 'snappy', 'tmp'. */
  readonly suffix: string;
}

/** `<dir>/<name>` without doubling a slash. Storage never imports node:path. */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** The `version-2` directory under a dataDir or dataLogDir. */
export function versionDir(dir: string): string {
  return joinPath(dir, VERSION_DIR);
}

function hex(zxid: bigint): string {
  return BigInt.asUintN(64, zxid).toString(16);
}

/** `log.<hex zxid of the file's first txn>` (Util.makeLogName). */
export function logFileName(zxid: bigint): string {
  return `${LOG_PREFIX}.${hex(zxid)}`;
}

/** `snapshot.<hex zxid>` (Util.makeSnapshotName, uncompressed). */
export function snapshotFileName(zxid: bigint): string {
  return `${SNAPSHOT_PREFIX}.${hex(zxid)}`;
}

/** The file a snapshot is written to before its atomic rename (AtomicFileOutputStream's name). */
export function snapshotTempFileName(zxid: bigint): string {
  return `${snapshotFileName(zxid)}.tmp`;
}

const HEX = /^[0-9a-fA-F]{1,16}$/;

/** Parses `<prefix>.<hex>[.<suffix>]` as Util.getZxidFromName does; undefined when it does not match. */
export function parseDataFileName(name: string, prefix: string): DataFileName | undefined {
  const parts = name.split('.');
  if (parts.length < 2 || parts[0] !== prefix) return undefined;
  const digits = parts[1]!;
  if (!HEX.test(digits)) return undefined;
  return { name, zxid: BigInt.asIntN(64, BigInt('0x' + digits)), suffix: parts.slice(2).join('.') };
}

/** The names in `names` that parse with `prefix`, oldest zxid first. */
export function sortDataFiles(names: readonly string[], prefix: string): DataFileName[] {
  const files: DataFileName[] = [];
  for (const name of names) {
    const parsed = parseDataFileName(name, prefix);
    if (parsed !== undefined) files.push(parsed);
  }
  return files.sort((x, y) => (x.zxid < y.zxid ? -1 : x.zxid > y.zxid ? 1 : 0));
}

/**
 * The log files a reader needs to see every txn after `snapshotZxid` (FileTxnLog.getLogFiles):
 * the newest log starting at or before it, and every later log, oldest first. `logs` must be
 * sorted oldest first and hold only plain log files.
 */
export function logFilesFrom(logs: readonly DataFileName[], snapshotZxid: bigint): DataFileName[] {
  let startZxid = 0n;
  for (const log of logs) {
    if (log.zxid > snapshotZxid) break;
    if (log.zxid > startZxid) startZxid = log.zxid;
  }
  return logs.filter((log) => log.zxid >= startZxid);
}
