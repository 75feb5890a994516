/**
 * Jute binary encoding (BinaryOutputArchive): big-endian ints and longs, one-byte booleans,
 * length-prefixed buffers and UTF-8 strings (-1 for null), count-prefixed vectors.
 */
import { longViewOf } from './long-view.js';

/** The smallest buffer a writer grows to. */
const MIN_GROWN_BYTES = 64;
const NO_BYTES = Buffer.alloc(0);

export class JuteWriter {
  private buffer: Buffer;
  /** The view longs are written through (long-view.ts), the buffer it was taken for, and where that buffer starts in it. */
  private ownView: DataView | undefined;
  private viewBuffer: Buffer | undefined;
  private viewBase = 0;
  private offset = 0;

  constructor(initialSize = 256) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.offset;
  }

  private ensure(extra: number): void {
    const needed = this.offset + extra;
    if (needed <= this.buffer.length) return;
    let size = Math.max(this.buffer.length * 2, MIN_GROWN_BYTES);
    while (size < needed) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buffer.copy(next, 0, 0, this.offset);
    this.buffer = next;
  }

  writeInt(value: number): this {
    this.ensure(4);
    this.buffer.writeInt32BE(value | 0, this.offset);
    this.offset += 4;
    return this;
  }

  writeLong(value: bigint): this {
    this.ensure(8);
    // setBigInt64 keeps the low 64 bits, as BigInt.asIntN(64, value) would. The view is looked
    // up again only when the buffer changed: a snapshot writes millions of longs into one.
    let view = this.ownView;
    if (this.viewBuffer !== this.buffer || view === undefined) {
      view = this.ownView = longViewOf(this.buffer, view);
      this.viewBuffer = this.buffer;
      this.viewBase = this.buffer.byteOffset;
    }
    view.setBigInt64(this.viewBase + this.offset, value);
    this.offset += 8;
    return this;
  }

  writeBool(value: boolean): this {
    this.ensure(1);
    this.buffer[this.offset++] = value ? 1 : 0;
    return this;
  }

  writeByte(value: number): this {
    this.ensure(1);
    this.buffer[this.offset++] = value & 0xff;
    return this;
  }

  /** A `buffer` field: int length then bytes; null is length -1. */
  writeBuffer(value: Uint8Array | null): this {
    if (value === null) return this.writeInt(-1);
    this.writeInt(value.length);
    return this.writeRaw(value);
  }

  /** A `buffer` field from a one-byte string holding one byte per char (Latin-1); null is length -1. */
  writeLatin1Buffer(value: string | null): this {
    if (value === null) return this.writeInt(-1);
    this.ensure(4 + value.length);
    this.buffer.writeInt32BE(value.length, this.offset);
    this.offset += 4;
    this.offset += this.buffer.write(value, this.offset, value.length, 'latin1');
    return this;
  }

  /** A `ustring` field: int byte length then UTF-8; null is length -1. */
  writeString(value: string | null): this {
    if (value === null) return this.writeInt(-1);
    const byteLength = Buffer.byteLength(value, 'utf8');
    this.ensure(4 + byteLength);
    this.buffer.writeInt32BE(byteLength, this.offset);
    this.offset += 4;
    this.offset += this.buffer.write(value, this.offset, byteLength, 'utf8');
    return this;
  }

  /** Bytes with no length prefix. */
  writeRaw(value: Uint8Array): this {
    this.ensure(value.length);
    this.buffer.set(value, this.offset);
    this.offset += value.length;
    return this;
  }

  /** A `vector<T>`: int count then each element; null is count -1. */
  writeVector<T>(items: readonly T[] | null, writeItem: (writer: JuteWriter, item: T) => void): this {
    if (items === null) return this.writeInt(-1);
    this.writeInt(items.length);
    for (const item of items) writeItem(this, item);
    return this;
  }

  writeStringVector(items: readonly string[] | null): this {
    return this.writeVector(items, (w, s) => w.writeString(s));
  }

  /** Overwrites an int at `position` (used to back-fill frame lengths). */
  patchInt(position: number, value: number): void {
    this.buffer.writeInt32BE(value, position);
  }

  /** The bytes written, not copied: valid until the next write or `reset` (see `take` for keeps). */
  written(): Buffer {
    return this.buffer.subarray(0, this.offset);
  }

  /** A copy of the bytes written. */
  toBuffer(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.offset));
  }

  /**
   * The bytes written, without copying, for a writer that is done: the writer starts over on
   * a fresh buffer, so later writes cannot reach the returned bytes.
   */
  take(): Buffer {
    const bytes = this.buffer.subarray(0, this.offset);
    // Writers are rarely used again after take(): a buffer is allocated only if one is.
    this.buffer = NO_BYTES;
    this.offset = 0;
    return bytes;
  }

  /** Sets aside `count` bytes to fill in later (with patchInt, or in the bytes `take` returns); returns where they start. */
  skip(count: number): number {
    this.ensure(count);
    const at = this.offset;
    this.offset += count;
    return at;
  }

  /** The bytes written, without copying; valid until the next write. */
  view(): Buffer {
    return this.buffer.subarray(0, this.offset);
  }

  reset(): void {
    this.offset = 0;
  }
}

/** Encodes one record as a length-prefixed frame. */
export function frame(write: (writer: JuteWriter) => void): Buffer {
  const writer = new JuteWriter();
  writer.writeInt(0);
  write(writer);
  writer.patchInt(0, writer.length - 4);
  return writer.take();
}
