/**
 * The file-system port: the only way storage touches disk, so that the same storage code runs
 * on node:fs in production and on a simulated disk (which loses unsynced writes) in tests.
 */

/** An open file, written at its end. */
export interface AppendFile {
  /**
   * Appends bytes. NOT durable until `sync` resolves, unless the file was opened with
   * `durable: true`: then the bytes (and everything before them) are durable when this resolves.
   * Several parts are appended in order, as their concatenation (one writev, no copy).
   */
  append(data: Uint8Array | readonly Uint8Array[]): Promise<void>;
  /** fdatasync: everything appended before the call is durable when this resolves. */
  sync(): Promise<void>;
  /** Bytes in the file. */
  size(): Promise<number>;
  close(): Promise<void>;
}

/** True when an `append` was given several parts. */
export function isParts(data: Uint8Array | readonly Uint8Array[]): data is readonly Uint8Array[] {
  return Array.isArray(data);
}

export interface OpenAppendOptions {
  /** Every `append` is durable when it resolves, with no `sync` needed (O_DSYNC). */
  readonly durable?: boolean;
}

/** A file opened for reading parts of it. */
export interface ReadableFile {
  /** Bytes in the file when it was opened. */
  readonly size: number;
  /** Reads `length` bytes at `position` into `into` at `offset`; resolves with the count read (0 at the end). */
  read(into: Uint8Array, offset: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

export interface FileSystem {
  /** Creates the directory and its parents if missing. */
  mkdirp(path: string): Promise<void>;
  /** Names of the entries of a directory (not paths); empty when it does not exist. */
  list(dir: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
  readFile(path: string): Promise<Buffer>;
  /**
   * Opens a file to read it in parts (a large snapshot need not be in memory whole). Optional:
   * readers fall back to `readFile` without it.
   */
  openRead?(path: string): Promise<ReadableFile>;
  /**
   * Opens for appending, creating it if missing. With `durable`, each append is made durable
   * before it resolves (O_DSYNC: write and fdatasync in one step, the txn log's one hop per
   * batch); without it, appends are buffered until `sync` (a snapshot's many slices).
   */
  openAppend(path: string, options?: OpenAppendOptions): Promise<AppendFile>;
  /** Writes a whole file durably and atomically: temp file, fsync, rename, fsync of the dir. */
  writeFileAtomic(path: string, data: Uint8Array): Promise<void>;
  truncate(path: string, length: number): Promise<void>;
  remove(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** fsync of a directory, making renames and creations in it durable. */
  syncDir(dir: string): Promise<void>;
}
