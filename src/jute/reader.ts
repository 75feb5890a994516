import { limits } from '../config/limits.js';
import { longViewOf } from './long-view.js';

/** Bad bytes from the network or disk: a value to handle, never a crash. */
export class JuteError extends Error {
  override name = 'JuteError';
}

/** The bytes ended inside a value: with more bytes (a stream read in windows) it may still parse. */
export class JuteTruncatedError extends JuteError {
  override name = 'JuteTruncatedError';
}

/** Reads jute primitives from one record's bytes; every length is checked before use. */
export class JuteReader {
  private offset: number;
  /** For longs from a large buffer (long-view.ts). */
  private ownView: DataView | undefined;

  constructor(
    private readonly buffer: Buffer,
    offset = 0,
    private readonly end = buffer.length,
    private readonly maxBuffer: number = limits.juteMaxBuffer,
  ) {
    this.offset = offset;
  }

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(count: number): void {
    if (this.offset + count > this.end) {
      throw new JuteTruncatedError(`record truncated: need ${count} bytes at ${this.offset}, have ${this.end - this.offset}`);
    }
  }

  readInt(): number {
    this.need(4);
    const value = this.buffer.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  readLong(): bigint {
    this.need(8);
    const view = (this.ownView = longViewOf(this.buffer, this.ownView));
    const value = view.getBigInt64(this.buffer.byteOffset + this.offset);
    this.offset += 8;
    return value;
  }

  readBool(): boolean {
    this.need(1);
    return this.buffer[this.offset++] !== 0;
  }

  readByte(): number {
    this.need(1);
    return this.buffer[this.offset++]!;
  }

  private readLength(what: string): number {
    const length = this.readInt();
    if (length < -1) throw new JuteError(`negative ${what} length ${length}`);
    if (length > this.maxBuffer) throw new JuteError(`${what} length ${length} exceeds jute.maxbuffer ${this.maxBuffer}`);
    return length;
  }

  /** A `buffer` field; null when the length is -1. The result is a view into the frame. */
  readBuffer(): Buffer | null {
    const length = this.readLength('buffer');
    if (length === -1) return null;
    this.need(length);
    const value = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** A `buffer` field copied out of the frame, so that it may outlive it. */
  readBufferCopy(): Buffer | null {
    const view = this.readBuffer();
    return view === null ? null : Buffer.from(view);
  }

  readString(): string | null {
    const length = this.readLength('string');
    if (length === -1) return null;
    this.need(length);
    const value = this.buffer.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** A string field where null is not meaningful: null reads as the empty string's absence marker. */
  readStringNonNull(what = 'string'): string {
    const value = this.readString();
    if (value === null) throw new JuteError(`null ${what}`);
    return value;
  }

  readVector<T>(readItem: (reader: JuteReader) => T): T[] | null {
    const count = this.readInt();
    if (count === -1) return null;
    if (count < -1) throw new JuteError(`negative vector count ${count}`);
    if (count > limits.vectorCountMax || count > this.remaining) {
      if (count > limits.vectorCountMax) throw new JuteError(`vector count ${count} exceeds what the record holds`);
      throw new JuteTruncatedError(`vector count ${count} exceeds what the record holds`);
    }
    const items: T[] = new Array(count);
    for (let i = 0; i < count; i++) items[i] = readItem(this);
    return items;
  }

  readStringVector(): string[] | null {
    return this.readVector((r) => r.readStringNonNull('vector element'));
  }

  /** Fails unless the whole record was consumed. */
  expectEnd(what: string): void {
    if (this.offset !== this.end) throw new JuteError(`${this.end - this.offset} trailing bytes after ${what}`);
  }
}
