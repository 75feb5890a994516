/**
 * Storage errors: operating errors (bad bytes on disk, failed IO) as values with stable codes,
 * so callers can tell "refuse to start" from "shut down now" without parsing messages.
 */

/** A txn log that cannot be trusted: bad bytes with valid data after them, a gap, a bad header. */
export class CorruptLogError extends Error {
  override name = 'CorruptLogError';
  readonly code = 'CORRUPT_LOG';

  constructor(
    readonly file: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`corrupt txn log ${file} at offset ${offset}: ${reason}`);
  }
}

/**
 * A snapshot that fails its checksum, does not parse, or holds an impossible tree (a node before
 * its parent). The tree it was to be loaded into is left as it was.
 */
export class CorruptSnapshotError extends Error {
  override name = 'CorruptSnapshotError';
  readonly code = 'CORRUPT_SNAPSHOT';

  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`corrupt snapshot ${file}: ${reason}`);
  }
}

/** Why the txn log refused an append or stopped: it failed, it is closed, or it is overloaded. */
export type TxnLogErrorCode = 'FAILED' | 'CLOSED' | 'OVERLOADED' | 'FILE_EXISTS';

/** The txn log cannot take the txn; when `FAILED`, `cause` is the IO error that stopped it. */
export class TxnLogError extends Error {
  override name = 'TxnLogError';

  constructor(
    readonly code: TxnLogErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The data directories cannot be recovered into a tree (no valid snapshot, missing txns). */
export class RecoveryError extends Error {
  override name = 'RecoveryError';
  readonly code = 'RECOVERY_FAILED';
}
