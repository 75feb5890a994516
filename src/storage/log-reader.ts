/**
 * Reads txn-log files in zxid order, refusing to load anything it cannot trust.
 *
 * - A file ends at the end of its bytes or at a zero checksum and zero len (ZooKeeper zero-pads
 *   its logs to the preallocated size).
 * - TORN TAIL: bad bytes (a partial record, a checksum mismatch, garbage) with NO valid record
 *   anywhere after them in the same file are what a crash during an unsynced write leaves. They
 *   are skipped and reported in `tornTails`; `repair()` then cuts them off (the file is truncated
 *   to the end of its last good record; a file left with no record is removed, so that its name
 *   can be reused). Earlier files are treated alike, because ZooKeeper never repairs a torn tail:
 *   after a crash it just starts a new file, reusing the zxid of the lost txn.
 * - CORRUPTION: bad bytes followed by a valid record in the same file, a bad file header followed
 *   by records, a checksum-valid record that does not decode, a first txn whose zxid is not the
 *   file's name, or consecutive txns whose zxids go backwards or skip within an epoch are a
 *   `CorruptLogError` naming the file and offset. Nothing after it is loaded. The zxid rule is
 *   what makes skipping a torn tail safe: had the lost record been acknowledged, the next txn
 *   would not continue the sequence.
 */
import { assert } from '../util/assert.js';
import { epochOf } from '../proto/zxid.js';
import { decodeTxn, type TxnEntry } from '../proto/txn.js';
import type { FileSystem } from '../ports/file-system.js';
import { CorruptLogError } from './errors.js';
import { LOG_PREFIX, parseDataFileName } from './file-names.js';
import {
  FILE_HEADER_BYTES, FORMAT_VERSION, TXNLOG_MAGIC, findValidRecordAfter, isZero, scanRecord,
} from './log-format.js';

/** Bad bytes cut from the end of a log file. */
export interface TornTail {
  readonly file: string;
  /** Where the bad bytes start: the end of the last good record (0 when the header was torn). */
  readonly atOffset: number;
  readonly bytesDropped: number;
  /** True when the file held no record and was removed rather than truncated. */
  readonly removed: boolean;
  readonly reason: string;
}

export interface LogReaderOptions {
  /** Txns below this zxid are read and checked but not returned. */
  readonly fromZxid: bigint;
}

interface OpenFile {
  readonly path: string;
  readonly nameZxid: bigint;
  readonly bytes: Buffer;
  offset: number;
  records: number;
}

/** Iterates the txns of log files, oldest first; see the module comment for what it refuses. */
export class LogReader {
  /** Torn tails met so far, in file order. */
  readonly tornTails: TornTail[] = [];
  private fileIndex = 0;
  private current: OpenFile | undefined;
  private lastZxidRead: bigint | undefined;

  private constructor(
    private readonly fs: FileSystem,
    private readonly paths: readonly string[],
    private readonly options: LogReaderOptions,
  ) {}

  /**
   * A reader over `paths`: log files (named `log.<hex>`) sorted oldest first. The LAST path
   * must be the newest log in its directory for torn-tail repair to be right.
   */
  static open(fs: FileSystem, paths: readonly string[], options: LogReaderOptions): LogReader {
    return new LogReader(fs, paths, options);
  }

  /**
   * Cuts every torn tail found so far off its file. Call it only AFTER reading to the end
   * succeeded, so that files are never changed when the log is refused as corrupt.
   */
  async repair(): Promise<void> {
    const dirs = new Set<string>();
    for (const tail of this.tornTails) {
      if (tail.removed) {
        await this.fs.remove(tail.file);
        dirs.add(tail.file.substring(0, tail.file.lastIndexOf('/')));
      } else {
        await this.fs.truncate(tail.file, tail.atOffset);
      }
    }
    for (const dir of dirs) await this.fs.syncDir(dir);
  }

  /** The zxid of the last txn read (returned or skipped), undefined before the first. */
  get lastZxid(): bigint | undefined {
    return this.lastZxidRead;
  }

  /** The next txn at or after `fromZxid`, or undefined after the last. Throws CorruptLogError. */
  async next(): Promise<TxnEntry | undefined> {
    for (let files = 0; files <= this.paths.length; files++) {
      if (this.current === undefined) {
        if (this.fileIndex >= this.paths.length) return undefined;
        this.current = await this.openFile(this.paths[this.fileIndex++]!);
        if (this.current === undefined) continue;
      }
      const entry = await this.nextInFile(this.current);
      if (entry !== undefined) return entry;
      this.current = undefined;
    }
    assert(false, 'log reader visited more files than it was given');
  }

  /** Reads a whole file and checks its header; undefined when the header was torn. */
  private async openFile(path: string): Promise<OpenFile | undefined> {
    const name = path.substring(path.lastIndexOf('/') + 1);
    const parsed = parseDataFileName(name, LOG_PREFIX);
    if (parsed === undefined || parsed.suffix !== '') throw new CorruptLogError(path, 0, 'not a log file name');
    const bytes = await this.fs.readFile(path);
    const problem = headerProblem(bytes);
    if (problem !== undefined) {
      this.onBadBytes({ path, nameZxid: parsed.zxid, bytes, offset: 0, records: 0 }, 0, problem);
      return undefined;
    }
    return { path, nameZxid: parsed.zxid, bytes, offset: FILE_HEADER_BYTES, records: 0 };
  }

  /** The next wanted txn of `file`, or undefined at its end (torn tails handled on the way). */
  private async nextInFile(file: OpenFile): Promise<TxnEntry | undefined> {
    const recordsMax = file.bytes.length;
    for (let step = 0; step <= recordsMax; step++) {
      const at = file.offset;
      const scan = scanRecord(file.bytes, at);
      if (scan.kind === 'end') {
        if (!isZero(file.bytes, at, file.bytes.length)) this.onBadBytes(file, at, 'bytes after the end-of-records marker');
        return undefined;
      }
      if (scan.kind === 'bad') {
        this.onBadBytes(file, at, scan.reason);
        return undefined;
      }
      const entry = this.decode(file, at, scan.payload);
      file.offset = scan.end;
      file.records++;
      if (entry.header.zxid >= this.options.fromZxid) return entry;
    }
    assert(false, 'log reader did not advance');
  }

  private decode(file: OpenFile, at: number, payload: Buffer): TxnEntry {
    let entry: TxnEntry;
    try {
      entry = decodeTxn(payload);
    } catch (error) {
      throw new CorruptLogError(file.path, at, `checksum-valid record does not decode: ${(error as Error).message}`);
    }
    const zxid = entry.header.zxid;
    if (file.records === 0 && zxid !== file.nameZxid) {
      throw new CorruptLogError(file.path, at, `first txn has zxid 0x${zxid.toString(16)}, the file name says 0x${file.nameZxid.toString(16)}`);
    }
    const sequenceProblem = this.lastZxidRead === undefined ? undefined : zxidSequenceProblem(this.lastZxidRead, zxid);
    if (sequenceProblem !== undefined) throw new CorruptLogError(file.path, at, sequenceProblem);
    this.lastZxidRead = zxid;
    return entry;
  }

  /** Bad bytes at `at`: a torn tail when nothing valid follows, corruption otherwise. */
  private onBadBytes(file: OpenFile, at: number, reason: string): void {
    const validAt = findValidRecordAfter(file.bytes, at + 1);
    if (validAt >= 0) throw new CorruptLogError(file.path, at, `${reason}; a valid record follows at offset ${validAt}`);
    const removed = file.records === 0;
    this.tornTails.push({ file: file.path, atOffset: at, bytesDropped: file.bytes.length - at, removed, reason });
  }
}

/** Why `bytes` does not start with a version-2 txn-log header, or undefined. */
function headerProblem(bytes: Buffer): string | undefined {
  if (bytes.length < FILE_HEADER_BYTES) return `file header cut short (${bytes.length} bytes)`;
  const magic = bytes.readInt32BE(0);
  if (magic !== TXNLOG_MAGIC) return `bad magic 0x${(magic >>> 0).toString(16)}`;
  const version = bytes.readInt32BE(4);
  if (version !== FORMAT_VERSION) return `unsupported log version ${version}`;
  return undefined;
}

/**
 * Why `next` cannot follow `previous` in a log, or undefined: zxids strictly increase, and
 * within one epoch they increase by exactly one (a new epoch may start at any counter).
 */
export function zxidSequenceProblem(previous: bigint, next: bigint): string | undefined {
  const hex = (z: bigint) => `0x${BigInt.asUintN(64, z).toString(16)}`;
  if (next <= previous) return `zxid ${hex(next)} does not follow ${hex(previous)} (goes backwards)`;
  if (epochOf(next) === epochOf(previous) && next !== previous + 1n) {
    return `zxid gap: ${hex(previous)} is followed by ${hex(next)}`;
  }
  return undefined;
}
