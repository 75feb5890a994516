/**
 * A file read front to back through a window of bytes, so that a large snapshot is never in
 * memory whole: parsers take a JuteReader over the window, and when a value runs past its end
 * (JuteTruncatedError) the window moves on to start at that value and grows as needed. A running
 * Adler-32 follows the bytes the window leaves behind, for the snapshot's seals.
 */
import { JuteReader, JuteTruncatedError } from '../jute/reader.js';
import type { FileSystem, ReadableFile } from '../ports/file-system.js';
import { adler32, ADLER32_INITIAL } from './adler32.js';

/** Bytes read per refill at least. */
export const WINDOW_READ_BYTES = 4 * 1024 * 1024;

export class ByteWindow {
  /**
   * The window: the front of `store`, except for a file read whole. Items a parser takes out of
   * it as views (JuteReader.readBuffer) are valid only until the window moves: it is refilled in
   * place, so a snapshot costs one window of memory, not one per refill (4 MiB buffers freed one
   * after another make glibc keep tens of MiB it never returns).
   */
  private bytes: Buffer = Buffer.alloc(0);
  private store: Buffer = this.bytes;
  /** File offset of bytes[0]. */
  private base = 0;
  /** Index in `bytes` up to which the checksum has been taken. */
  private folded = 0;
  private checksum = ADLER32_INITIAL;

  private constructor(
    private readonly file: ReadableFile | undefined,
    readonly size: number,
    whole: Buffer | undefined,
    private readonly fieldBytesMax: number,
    private readonly readBytes: number,
  ) {
    if (whole !== undefined) this.bytes = whole;
  }

  /** Opens `path` for windowed reading (the whole file at once when the file system cannot read parts). */
  static async open(fs: FileSystem, path: string, fieldBytesMax: number, readBytes = WINDOW_READ_BYTES): Promise<ByteWindow> {
    if (fs.openRead === undefined) {
      const whole = await fs.readFile(path);
      return new ByteWindow(undefined, whole.length, whole, fieldBytesMax, readBytes);
    }
    const file = await fs.openRead(path);
    return new ByteWindow(file, file.size, undefined, fieldBytesMax, readBytes);
  }

  /** A reader over the window from file offset `at`; its positions are window indexes (see `fileOffset`). */
  reader(at: number): JuteReader {
    return new JuteReader(this.bytes, at - this.base, this.bytes.length, this.fieldBytesMax);
  }

  /** The file offset of a reader position. */
  fileOffset(readerPosition: number): number {
    return this.base + readerPosition;
  }

  /** True when the window reaches the end of the file. */
  get atEnd(): boolean {
    return this.base + this.bytes.length >= this.size;
  }

  /**
   * Parses items from file offset `at` with `one` until it returns true; returns the file offset
   * after the last. An item that runs past the window's end is parsed again from its start once
   * the window has moved there with more bytes, so `one` must act only after it read its item.
   */
  async each(at: number, one: (r: JuteReader) => boolean): Promise<number> {
    let r = this.reader(at);
    for (;;) {
      const start = r.position;
      let last: boolean;
      try {
        last = one(r);
      } catch (error) {
        if (!(error instanceof JuteTruncatedError) || this.atEnd) throw error;
        const from = this.fileOffset(start);
        await this.advance(from);
        r = this.reader(from);
        continue;
      }
      if (last) return this.fileOffset(r.position);
    }
  }

  /** The Adler-32 of the file's bytes before file offset `upTo` (which must be inside the window). */
  checksumTo(upTo: number): number {
    const end = upTo - this.base;
    this.checksum = adler32(this.bytes, this.checksum, this.folded, end);
    this.folded = end;
    return this.checksum;
  }

  async close(): Promise<void> {
    this.bytes = this.store = Buffer.alloc(0);
    await this.file?.close();
  }

  /** Drops the bytes before file offset `keepFrom` and reads more after the window's end. */
  private async advance(keepFrom: number): Promise<void> {
    const file = this.file!;
    const keep = keepFrom - this.base;
    // The checksum must see every byte before it goes.
    this.checksum = adler32(this.bytes, this.checksum, this.folded, keep);
    const kept = this.bytes.length - keep;
    // Grow by at least the bytes kept: a value larger than the window fits after a few rounds.
    const left = this.size - (this.base + this.bytes.length);
    let want = Math.min(left, Math.max(this.readBytes, kept));
    let next = this.store;
    if (next.length >= kept + want) {
      next.copyWithin(0, keep, this.bytes.length);
      // Fill the store: the next refill then again finds room for what it keeps.
      want = Math.min(left, next.length - kept);
    } else {
      // Room for a window's read on top of a kept part up to a window long, so that refills
      // reuse this store instead of allocating one a little larger each time more is kept
      // (twelve 4 MiB buffers per 1M-znode snapshot, left to the garbage collector).
      next = Buffer.allocUnsafe(Math.max(kept + want, Math.min(kept + left, 2 * this.readBytes)));
      this.bytes.copy(next, 0, keep);
      this.store = next;
    }
    next = next.subarray(0, kept + want);
    let filled = kept;
    const readFrom = this.base + this.bytes.length;
    while (filled < next.length) {
      const count = await file.read(next, filled, next.length - filled, readFrom + filled - kept);
      if (count === 0) break;
      filled += count;
    }
    this.bytes = filled === next.length ? next : next.subarray(0, filled);
    this.base = keepFrom;
    this.folded = 0;
    if (filled - kept < want) throw new Error(`file shrank while being read (expected ${this.size} bytes)`);
  }
}
