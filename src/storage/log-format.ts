/**
 * The txn-log file format, byte for byte as ZooKeeper's FileTxnLog writes it:
 *
 *   LogFile    := FileHeader Record* ZeroPad?
 *   FileHeader := int magic ('ZKLG') | int version (2) | long dbid (0)
 *   Record     := long checksum | int len | byte[len] payload | byte 0x42 ('B')
 *   checksum   := Adler32 of the payload only (not of len, not of the 0x42)
 *   payload    := TxnHeader | txn record [| TxnDigest]   (proto/txn.ts)
 *   ZeroPad    := zero bytes up to the preallocated size; a record whose checksum and len are
 *                 both zero, or the end of the file, ends the records.
 *
 * Pure: scanning works on a buffer holding the whole file.
 */
import { adler32, ADLER32_INITIAL } from './adler32.js';

/** 'ZKLG' as a big-endian int (FileTxnLog.TXNLOG_MAGIC). */
export const TXNLOG_MAGIC = 0x5a4b4c47;
/** 'ZKSN' as a big-endian int (FileSnap.SNAP_MAGIC). */
export const SNAP_MAGIC = 0x5a4b534e;
export const FORMAT_VERSION = 2;
/** The dbid ZooKeeper writes into log headers. */
export const TXNLOG_DBID = 0n;
export const FILE_HEADER_BYTES = 16;
/** checksum (8) + len (4). */
export const RECORD_PREFIX_BYTES = 12;
/** The byte after every payload ('B'). */
export const END_OF_RECORD = 0x42;
/**
 * Largest payload the reader accepts: jute.maxbuffer (0xfffff) plus room for a txn header, a
 * digest and a large multi; anything longer is treated as bad bytes.
 */
export const RECORD_PAYLOAD_BYTES_MAX = 64 * 1024 * 1024;

/** `FileHeader{magic, version 2, dbid}`. */
export function encodeFileHeader(magic: number, dbid: bigint): Buffer {
  const bytes = Buffer.alloc(FILE_HEADER_BYTES);
  bytes.writeInt32BE(magic | 0, 0);
  bytes.writeInt32BE(FORMAT_VERSION, 4);
  bytes.writeBigInt64BE(BigInt.asIntN(64, dbid), 8);
  return bytes;
}

/**
 * Fills in the prefix of a record laid out in place: RECORD_PREFIX_BYTES left blank, the
 * payload, then END_OF_RECORD (txn-log.ts encodes a txn straight into such a buffer).
 */
export function sealLogRecord(record: Buffer): void {
  const payloadLength = record.length - RECORD_PREFIX_BYTES - 1;
  record.writeUInt32BE(0, 0);
  record.writeUInt32BE(adler32(record, ADLER32_INITIAL, RECORD_PREFIX_BYTES, RECORD_PREFIX_BYTES + payloadLength), 4);
  record.writeInt32BE(payloadLength, 8);
}

/** One record: checksum, len, payload, 0x42. */
export function encodeLogRecord(payload: Uint8Array): Buffer {
  const bytes = Buffer.allocUnsafe(RECORD_PREFIX_BYTES + payload.length + 1);
  bytes.writeUInt32BE(0, 0);
  bytes.writeUInt32BE(adler32(payload), 4);
  bytes.writeInt32BE(payload.length, 8);
  bytes.set(payload, RECORD_PREFIX_BYTES);
  bytes[RECORD_PREFIX_BYTES + payload.length] = END_OF_RECORD;
  return bytes;
}

/** What lies at an offset of a log file. */
export type RecordScan =
  | { kind: 'record'; payload: Buffer; end: number }
  /** The end of the records: end of file, or a zero checksum and zero len. */
  | { kind: 'end' }
  | { kind: 'bad'; reason: string };

/** Reads the record at `offset` without throwing; `bytes` is the whole file. */
export function scanRecord(bytes: Buffer, offset: number): RecordScan {
  const remaining = bytes.length - offset;
  if (remaining === 0) return { kind: 'end' };
  if (remaining < RECORD_PREFIX_BYTES) {
    return isZero(bytes, offset, bytes.length) ? { kind: 'end' } : { kind: 'bad', reason: 'record prefix cut short' };
  }
  const checksumHigh = bytes.readUInt32BE(offset);
  const checksum = bytes.readUInt32BE(offset + 4);
  const length = bytes.readInt32BE(offset + 8);
  if (checksumHigh === 0 && checksum === 0 && length === 0) return { kind: 'end' };
  if (length <= 0 || length > RECORD_PAYLOAD_BYTES_MAX) return { kind: 'bad', reason: `record length ${length}` };
  const payloadStart = offset + RECORD_PREFIX_BYTES;
  const end = payloadStart + length + 1;
  if (end > bytes.length) return { kind: 'bad', reason: `record of ${length} bytes cut short by end of file` };
  if (bytes[end - 1] !== END_OF_RECORD) return { kind: 'bad', reason: 'record does not end with 0x42' };
  if (checksumHigh !== 0 || adler32(bytes, 1, payloadStart, end - 1) !== checksum) {
    return { kind: 'bad', reason: 'checksum mismatch' };
  }
  return { kind: 'record', payload: bytes.subarray(payloadStart, end - 1), end };
}

const ZERO_CHUNK = Buffer.alloc(64 * 1024);

/** True when `bytes[start, end)` are all zero (compares in native chunks: preallocation is 64 MB). */
export function isZero(bytes: Buffer, start: number, end: number): boolean {
  for (let at = start; at < end; at += ZERO_CHUNK.length) {
    const stop = Math.min(end, at + ZERO_CHUNK.length);
    if (bytes.compare(ZERO_CHUNK, 0, stop - at, at, stop) !== 0) return false;
  }
  return true;
}

/**
 * The first offset after `from` holding a whole, checksum-valid record, or -1. Used to tell a
 * torn tail (nothing valid after the bad bytes) from corruption in the middle.
 */
export function findValidRecordAfter(bytes: Buffer, from: number): number {
  const last = bytes.length - RECORD_PREFIX_BYTES - 2;
  for (let at = from; at <= last; at++) {
    if (bytes.readUInt32BE(at) !== 0) continue;
    const length = bytes.readInt32BE(at + 8);
    if (length <= 0 || length > RECORD_PAYLOAD_BYTES_MAX) continue;
    const end = at + RECORD_PREFIX_BYTES + length + 1;
    if (end > bytes.length || bytes[end - 1] !== END_OF_RECORD) continue;
    if (scanRecord(bytes, at).kind === 'record') return at;
  }
  return -1;
}
