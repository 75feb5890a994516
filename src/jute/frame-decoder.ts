import { JuteError } from './reader.js';

/**
 * Splits a byte stream into length-prefixed frames (4-byte big-endian signed length, then the
 * payload), whatever the chunking. A negative length or one over `maxFrameBytes` is an error.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes received but not yet returned as a frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Adds `chunk` and returns every frame now complete. Frames are views into the chunk when
   * possible (no copy). Throws JuteError on a bad length; the stream is then unusable.
   */
  push(chunk: Buffer): Buffer[] {
    let data: Buffer;
    if (this.pendingBytes === 0) {
      data = chunk;
    } else {
      this.pending.push(chunk);
      data = Buffer.concat(this.pending, this.pendingBytes + chunk.length);
      this.pending = [];
      this.pendingBytes = 0;
    }
    const frames: Buffer[] = [];
    let offset = 0;
    while (data.length - offset >= 4) {
      const length = data.readInt32BE(offset);
      if (length < 0 || length > this.maxFrameBytes) {
        throw new JuteError(`Len error ${length}`);
      }
      if (data.length - offset - 4 < length) break;
      frames.push(data.subarray(offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    if (offset < data.length) {
      const rest = data.subarray(offset);
      this.pending.push(rest);
      this.pendingBytes = rest.length;
    }
    return frames;
  }

}
