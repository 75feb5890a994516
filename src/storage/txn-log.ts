/**
 * The txn log writer with group commit, in ZooKeeper's on-disk format (log-format.ts) so that
 * ZooKeeper's tools read our logs and we read theirs.
 *
 * `append` only queues. Whenever txns are queued and no write is in flight, ONE batch (bounded
 * in txns and bytes) is written with ONE durable append (the file is opened `durable`: write and
 * fdatasync in one step, one trip to the IO thread per batch); only AFTER it resolves is
 * `onDurable(zxid of the batch's last txn)` called. Txns appended meanwhile form
 * the next batch. A new file (`log.<hex zxid of its first txn>`) is started on the first append
 * and after `roll()`; its directory entry is synced before any txn in it is reported durable.
 *
 * Any write or sync failure stops the log for good: `onError` gets it once, nothing queued is
 * ever reported durable, and later appends throw. (After a failed fsync the state of the page
 * cache is unknown; retrying could report lost data as durable.)
 */
import { assert } from '../util/assert.js';
import { limits } from '../config/limits.js';
import { encodedTxnSizeHint, writeTxn, type TxnEntry } from '../proto/txn.js';
import { JuteWriter } from '../jute/writer.js';
import type { AppendFile, FileSystem } from '../ports/file-system.js';
import { TxnLogError } from './errors.js';
import { joinPath, logFileName, versionDir } from './file-names.js';
import { END_OF_RECORD, RECORD_PREFIX_BYTES, TXNLOG_DBID, TXNLOG_MAGIC, encodeFileHeader, encodeLogRecord, sealLogRecord } from './log-format.js';

/** IOV_MAX on Linux: a batch of more records is joined into one buffer before it is written. */
const WRITEV_PARTS_MAX = 1024;
/** Txns queued behind the batch in flight at most; `append` throws OVERLOADED beyond it. */
export const TXN_LOG_PENDING_TXNS_MAX = 1_000_000;
/** Bytes queued behind the batch in flight at most; `append` throws OVERLOADED beyond it. */
export const TXN_LOG_PENDING_BYTES_MAX = 512 * 1024 * 1024;

export interface TxnLogOptions {
  /** Monotonic milliseconds, used only to time syncs (storage sets no timers). */
  readonly nowMs: () => number;
  /** Called with the zxid of the last txn of a batch, only AFTER the sync covering it resolved. */
  readonly onDurable?: (lastDurableZxid: bigint) => void;
  /** Called once with the write or sync failure that stopped the log. */
  readonly onError?: (error: Error) => void;
  /** Txns per batch at most; defaults to limits.groupCommitTxnsMax. */
  readonly batchTxnsMax?: number;
  /** Bytes per batch at most (a single larger txn still goes alone); defaults to limits.groupCommitBytesMax. */
  readonly batchBytesMax?: number;
  /**
   * zookeeper.forceSync (default true). false: batches are written without waiting for the disk
   * and reported "durable" once written (in the page cache) — a machine crash can lose them, as
   * with ZooKeeper's forceSync=no. For tests and throwaway data only.
   */
  readonly forceSync?: boolean;
}

/** What the log has done, for `mntr`, metrics and tests. */
export interface TxnLogStats {
  syncCount: number;
  syncDurationMsLast: number;
  syncDurationMsMax: number;
  bytesWritten: number;
  txnsWritten: number;
  batchTxnsLast: number;
  batchTxnsMax: number;
  filesCreated: number;
  /** Bytes in the file being written, header included (to decide when to roll). */
  currentFileBytes: number;
}

interface Pending {
  readonly zxid: bigint;
  readonly bytes: Buffer;
  readonly startsFile: boolean;
}

interface Batch {
  readonly items: Pending[];
  readonly bytes: number;
}

/** An append-only, group-committed txn log over `<dataLogDir>/version-2/`. */
export class TxnLog {
  onDurable: ((lastDurableZxid: bigint) => void) | undefined;
  onError: ((error: Error) => void) | undefined;
  private readonly counters: TxnLogStats = {
    syncCount: 0, syncDurationMsLast: 0, syncDurationMsMax: 0, bytesWritten: 0, txnsWritten: 0,
    batchTxnsLast: 0, batchTxnsMax: 0, filesCreated: 0, currentFileBytes: 0,
  };
  private readonly pending: Pending[] = [];
  private pendingHead = 0;
  private pendingBytes = 0;
  private inFlightTxns = 0;
  private nextStartsFile = true;
  private lastAppendedZxid: bigint | undefined;
  private lastDurable: bigint | undefined;
  private file: AppendFile | undefined;
  private writing = false;
  private closing = false;
  private failure: Error | undefined;
  private idleWaiters: Array<() => void> = [];
  private readonly batchTxnsMax: number;
  private readonly batchBytesMax: number;

  private constructor(
    private readonly fs: FileSystem,
    private readonly dir: string,
    private readonly options: TxnLogOptions,
  ) {
    this.onDurable = options.onDurable;
    this.onError = options.onError;
    this.batchTxnsMax = options.batchTxnsMax ?? limits.groupCommitTxnsMax;
    this.batchBytesMax = options.batchBytesMax ?? limits.groupCommitBytesMax;
    assert(this.batchTxnsMax >= 1 && this.batchBytesMax >= 1, 'batch bounds must be positive');
  }

  /** Opens the log of `dataLogDir` (creating `version-2/`); the first append starts a new file. */
  static async open(fs: FileSystem, dataLogDir: string, options: TxnLogOptions): Promise<TxnLog> {
    const dir = versionDir(dataLogDir);
    await fs.mkdirp(dir);
    await fs.syncDir(dataLogDir);
    return new TxnLog(fs, dir, options);
  }

  /** The zxid of the last txn known durable, undefined before the first sync. */
  get lastDurableZxid(): bigint | undefined {
    return this.lastDurable;
  }

  /** Txns appended and not yet durable (the batch in flight included). */
  get pendingTxns(): number {
    return this.queuedTxns + this.inFlightTxns;
  }

  /** Txns waiting for the next batch. */
  private get queuedTxns(): number {
    return this.pending.length - this.pendingHead;
  }

  get stats(): Readonly<TxnLogStats> {
    return this.counters;
  }

  /**
   * Queues `entry`; it is NOT durable until `onDurable` reports a zxid >= its own. zxids must
   * increase. Throws TxnLogError when the log failed (FAILED), is closing (CLOSED) or holds too
   * much unsynced data (OVERLOADED: the caller must stop taking writes until it drains).
   */
  append(entry: TxnEntry): void {
    this.checkAppend(entry.header.zxid);
    // Encoded straight into its log record: one buffer, no copy of the txn.
    const w = new JuteWriter(RECORD_PREFIX_BYTES + encodedTxnSizeHint(entry) + 1);
    w.skip(RECORD_PREFIX_BYTES);
    writeTxn(w, entry);
    w.writeByte(END_OF_RECORD);
    const record = w.take();
    sealLogRecord(record);
    this.queue(entry.header.zxid, record);
  }

  /**
   * `append` for a txn already encoded (TxnHeader + record, as `encodeTxn` writes it): an
   * ensemble member logs the bytes its leader proposed without decoding them first.
   */
  appendEncoded(zxid: bigint, txn: Uint8Array): void {
    this.checkAppend(zxid);
    this.queue(zxid, encodeLogRecord(txn));
  }

  private checkAppend(zxid: bigint): void {
    if (this.failure !== undefined) throw new TxnLogError('FAILED', 'txn log failed', { cause: this.failure });
    if (this.closing) throw new TxnLogError('CLOSED', 'txn log is closed');
    assert(this.lastAppendedZxid === undefined || zxid > this.lastAppendedZxid, () => `txn log zxid ${zxid} does not increase`);
  }

  private queue(zxid: bigint, bytes: Buffer): void {
    if (this.pendingTxns >= TXN_LOG_PENDING_TXNS_MAX || this.pendingBytes + bytes.length > TXN_LOG_PENDING_BYTES_MAX) {
      throw new TxnLogError('OVERLOADED', `txn log has ${this.pendingTxns} txns (${this.pendingBytes} bytes) waiting for the disk`);
    }
    this.pending.push({ zxid, bytes, startsFile: this.nextStartsFile });
    this.nextStartsFile = false;
    this.pendingBytes += bytes.length;
    this.lastAppendedZxid = zxid;
    this.kick();
  }

  /** The next appended txn starts a new log file, named after its zxid. */
  roll(): void {
    this.nextStartsFile = true;
  }

  /**
   * Writes and syncs everything queued, then closes the file. REJECTS with the failure when
   * the log failed (before or during the flush); appends after `close` throw CLOSED.
   */
  async close(): Promise<void> {
    this.closing = true;
    await this.whenIdle();
    const file = this.file;
    this.file = undefined;
    if (file !== undefined) await file.close();
    if (this.failure !== undefined) throw this.failure;
  }

  /**
   * After the files were cut underneath (a learner's TRUNC or SNAP): waits until nothing is in
   * flight, closes the current file, and lets the next append start a new file at any zxid.
   * The caller must not append until this resolves.
   */
  async rewind(): Promise<void> {
    await this.whenIdle();
    const file = this.file;
    this.file = undefined;
    if (file !== undefined) await file.close();
    this.lastAppendedZxid = undefined;
    this.lastDurable = undefined;
    this.nextStartsFile = true;
  }

  private whenIdle(): Promise<void> {
    if (!this.writing) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private kick(): void {
    if (this.writing || this.failure !== undefined || this.queuedTxns === 0) return;
    this.writing = true;
    void this.writeNextBatch();
  }

  /** One batch: write, sync, then report; then the next batch if txns queued meanwhile. */
  private async writeNextBatch(): Promise<void> {
    const batch = this.takeBatch();
    try {
      await this.writeBatch(batch);
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const last = batch.items[batch.items.length - 1]!.zxid;
    this.lastDurable = last;
    this.inFlightTxns = 0;
    this.writing = false;
    // The next batch goes to the disk first, so that answering this one (onDurable: apply and
    // reply) overlaps its write and sync instead of alternating with them.
    if (this.queuedTxns > 0) this.kick();
    this.onDurable?.(last);
    if (!this.writing) {
      if (this.queuedTxns > 0) this.kick();
      else this.wakeIdle();
    }
  }

  /** The queued txns up to the bounds, never crossing the start of a new file. */
  private takeBatch(): Batch {
    const items: Pending[] = [];
    let bytes = 0;
    while (this.pendingHead < this.pending.length && items.length < this.batchTxnsMax) {
      const next = this.pending[this.pendingHead]!;
      if (items.length > 0 && (next.startsFile || bytes + next.bytes.length > this.batchBytesMax)) break;
      items.push(next);
      bytes += next.bytes.length;
      this.pendingHead++;
    }
    this.pendingBytes -= bytes;
    this.inFlightTxns = items.length;
    this.compactQueue();
    assert(items.length > 0, 'takeBatch with nothing queued');
    return { items, bytes };
  }

  private compactQueue(): void {
    if (this.pendingHead === this.pending.length) {
      this.pending.length = 0;
      this.pendingHead = 0;
    } else if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
  }

  private async writeBatch(batch: Batch): Promise<void> {
    const first = batch.items[0]!;
    const parts = batch.items.map((item) => item.bytes);
    let newFile = false;
    if (first.startsFile || this.file === undefined) {
      await this.startFile(first.zxid);
      parts.unshift(encodeFileHeader(TXNLOG_MAGIC, TXNLOG_DBID));
      newFile = true;
    }
    const file = this.file!;
    const syncStartMs = this.options.nowMs();
    // One writev, durable when it resolves (opened `durable` unless forceSync is off). Past the
    // kernel's iovec limit libuv would split it into several writes, each synced: join them first.
    await file.append(parts.length > WRITEV_PARTS_MAX ? Buffer.concat(parts) : parts);
    const bytes = newFile ? batch.bytes + parts[0]!.length : batch.bytes;
    this.recordSync(this.options.nowMs() - syncStartMs, batch.items.length, bytes);
    if (newFile) await this.fs.syncDir(this.dir);
  }

  /** Closes the current file and creates `log.<zxid>`; never reuses an existing file. */
  private async startFile(zxid: bigint): Promise<void> {
    const previous = this.file;
    this.file = undefined;
    if (previous !== undefined) await previous.close();
    const path = joinPath(this.dir, logFileName(zxid));
    if (await this.fs.exists(path)) throw new TxnLogError('FILE_EXISTS', `txn log ${path} already exists`);
    this.file = await this.fs.openAppend(path, { durable: this.options.forceSync !== false });
    this.counters.filesCreated++;
    this.counters.currentFileBytes = 0;
  }

  private recordSync(durationMs: number, txns: number, bytes: number): void {
    const stats = this.counters;
    stats.syncCount++;
    stats.syncDurationMsLast = durationMs;
    stats.syncDurationMsMax = Math.max(stats.syncDurationMsMax, durationMs);
    stats.bytesWritten += bytes;
    stats.currentFileBytes += bytes;
    stats.txnsWritten += txns;
    stats.batchTxnsLast = txns;
    stats.batchTxnsMax = Math.max(stats.batchTxnsMax, txns);
  }

  /** Stops the log for good and reports `error` (rethrown when nobody listens: never swallowed). */
  private fail(error: Error): void {
    this.failure = error;
    this.pending.length = 0;
    this.pendingHead = 0;
    this.pendingBytes = 0;
    this.inFlightTxns = 0;
    this.writing = false;
    this.wakeIdle();
    if (this.onError === undefined) throw error;
    this.onError(error);
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
