/**
 * `txnlog-dump`: what ZooKeeper 3.8's TxnLogToolkit (zkTxnLogToolkit.sh) prints in dump mode,
 * byte for byte: the file header line, one line per txn (time in the "en" locale's SHORT date and
 * LONG time, session, cxid and zxid in Long.toHexString form, the op name as Request.op2String
 * spells it, then the txn), and `EOF reached after N txns.`.
 *
 * The txn text is TxnLogToolkit's: create, setData, createContainer and createTTL as
 * `path,data,...` with the data decoded as UTF-8; a multi as `op:raw bytes;...` (the sub-txn's
 * serialised bytes decoded as UTF-8, unreadable as that is); every other record in jute's CSV
 * `toString` form, which ends with a newline (so no second one is added).
 *
 * It reads records the way BinaryInputArchive does, which decides where Java stops: end of file
 * or a zero length ends the dump normally; a record whose checksum does not match is printed
 * twice, the first time after `CRC ERROR - `; a record not followed by 'B' ends it with
 * `Last transaction was partial.` (exit 1).
 */
import { adler32 } from '../storage/adler32.js';
import { TXNLOG_MAGIC } from '../storage/log-format.js';
import type { Acl } from '../proto/data.js';
import { OpCode } from '../proto/op-code.js';
import {
  javaAclListToString, javaHex, javaShortLongDateTime, juteAclNested, juteCsvString,
} from './data-tools-java.js';
import { javaUtf8Decode } from './data-tools-utf8.js';
import type { TextOut } from './data-tools-snapshot.js';

/** BinaryInputArchive's limit on a buffer or string: jute.maxbuffer (0xfffff) plus the same again as extra. */
export const JAVA_FIELD_BYTES_MAX = 0xfffff * 2;
const END_OF_RECORD = 0x42;

/** BinaryInputArchive's EOFException: the bytes ended inside a field. */
class JavaEof extends Error {
  override name = 'EOFException';
}

/** BinaryInputArchive's IOException for an impossible length. */
class JavaIoError extends Error {
  override name = 'IOException';
}

/** DataInputStream + BinaryInputArchive over a byte array, with Java's failure modes. */
class JavaArchive {
  offset: number;

  constructor(private readonly bytes: Buffer, offset = 0, private readonly end = bytes.length) {
    this.offset = offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(count: number): void {
    if (this.offset + count > this.end) throw new JavaEof('EOF');
  }

  readInt(): number {
    this.need(4);
    const value = this.bytes.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  readLong(): bigint {
    this.need(8);
    const value = this.bytes.readBigInt64BE(this.offset);
    this.offset += 8;
    return value;
  }

  readByte(): number {
    this.need(1);
    return this.bytes[this.offset++]!;
  }

  readBool(): boolean {
    return this.readByte() !== 0;
  }

  readBuffer(): Buffer | null {
    const length = this.readInt();
    if (length === -1) return null;
    if (length < 0 || length > JAVA_FIELD_BYTES_MAX) throw new JavaIoError(`Unreasonable length = ${length}`);
    this.need(length);
    const value = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  readString(): string | null {
    const value = this.readBuffer();
    return value === null ? null : javaUtf8Decode(value);
  }

  /** startVector: -1 is null; any other negative count is an empty vector. */
  readVector<T>(readItem: () => T): T[] | null {
    const count = this.readInt();
    if (count === -1) return null;
    const items: T[] = [];
    // Each item consumes at least one byte or fails with EOF, so `remaining` bounds the loop.
    for (let i = 0; i < count; i++) {
      if (i > this.end) throw new JavaEof('EOF');
      items.push(readItem());
    }
    return items;
  }

  readAcl(): Acl {
    const perms = this.readInt();
    const scheme = this.readString();
    const id = this.readString();
    return { perms, id: { scheme: scheme as string, id: id as string } };
  }

  readAclList(): Acl[] | null {
    return this.readVector(() => this.readAcl());
  }
}

/** Request.op2String in ZooKeeper 3.8 (no addWatch; createTTL is "createTtl"). */
const OP_NAMES = new Map<number, string>([
  [OpCode.notification, 'notification'], [OpCode.create, 'create'], [OpCode.delete, 'delete'],
  [OpCode.exists, 'exists'], [OpCode.getData, 'getData'], [OpCode.setData, 'setData'],
  [OpCode.getACL, 'getACL'], [OpCode.setACL, 'setACL'], [OpCode.getChildren, 'getChildren'],
  [OpCode.sync, 'sync'], [OpCode.ping, 'ping'], [OpCode.getChildren2, 'getChildren2'],
  [OpCode.check, 'check'], [OpCode.multi, 'multi'], [OpCode.create2, 'create2'],
  [OpCode.reconfig, 'reconfig'], [OpCode.checkWatches, 'checkWatches'], [OpCode.removeWatches, 'removeWatches'],
  [OpCode.createContainer, 'createContainer'], [OpCode.deleteContainer, 'deleteContainer'],
  [OpCode.createTTL, 'createTtl'], [OpCode.multiRead, 'multiRead'], [OpCode.auth, 'auth'],
  [OpCode.setWatches, 'setWatches'], [OpCode.setWatches2, 'setWatches2'], [OpCode.sasl, 'sasl'],
  [OpCode.getEphemerals, 'getEphemerals'], [OpCode.getAllChildrenNumber, 'getAllChildrenNumber'],
  [OpCode.createSession, 'createSession'], [OpCode.closeSession, 'closeSession'], [OpCode.error, 'error'],
  [OpCode.whoAmI, 'whoAmI'],
]);

/** Request.op2String. */
export function javaOpName(type: number): string {
  return OP_NAMES.get(type) ?? `unknown ${type}`;
}

/** TxnLogToolkit.checkNullToEmpty: the bytes as UTF-8 text, empty for null. */
function text(data: Buffer | null): string {
  return data === null || data.length === 0 ? '' : javaUtf8Decode(data);
}

/** Java string concatenation of a possibly-null String. */
function str(value: string | null): string {
  return value === null ? 'null' : value;
}

/**
 * SerializeUtils.deserializeTxn followed by TxnLogToolkit.getFormattedTxnStr: the txn's text.
 * Throws JavaEof / JavaIoError where Java would throw.
 */
function formatTxnBody(type: number, payload: Buffer, bodyStart: number): string {
  const a = new JavaArchive(payload, bodyStart);
  switch (type) {
    case OpCode.createSession:
      return `${a.readInt()}\n`;
    case OpCode.closeSession: {
      try {
        const paths = a.readVector(() => a.readString());
        return `v{${(paths ?? []).map(juteCsvString).join(',')}}\n`;
      } catch (error) {
        // Logged before CloseSessionTxn existed: no body, no txn.
        if (error instanceof JavaEof) return '';
        throw error;
      }
    }
    case OpCode.create:
    case OpCode.create2:
      return formatCreate(type, payload, bodyStart);
    case OpCode.createTTL: {
      const path = a.readString();
      const data = a.readBuffer();
      const acl = a.readAclList();
      const parentCVersion = a.readInt();
      const ttl = a.readLong();
      return `${str(path)},${text(data)},${javaAclListToString(acl)},${parentCVersion},${ttl}`;
    }
    case OpCode.createContainer: {
      const path = a.readString();
      const data = a.readBuffer();
      const acl = a.readAclList();
      const parentCVersion = a.readInt();
      return `${str(path)},${text(data)},${javaAclListToString(acl)},${parentCVersion}`;
    }
    case OpCode.delete:
    case OpCode.deleteContainer:
      return `${juteCsvString(a.readString())}\n`;
    case OpCode.reconfig:
    case OpCode.setData: {
      const path = a.readString();
      const data = a.readBuffer();
      const version = a.readInt();
      return `${str(path)},${text(data)},${version}`;
    }
    case OpCode.setACL: {
      const path = a.readString();
      const acl = a.readAclList();
      const version = a.readInt();
      return `${juteCsvString(path)},v{${(acl ?? []).map(juteAclNested).join(',')}},${version}\n`;
    }
    case OpCode.error:
      return `${a.readInt()}\n`;
    case OpCode.multi: {
      const txns = a.readVector(() => ({ type: a.readInt(), data: a.readBuffer() }));
      if (txns === null) throw new JavaIoError('java.lang.NullPointerException (a multi with a null txn list)');
      return txns.map((t) => `${javaOpName(t.type)}:${text(t.data)}`).join(';');
    }
    default:
      throw new JavaIoError(`Unsupported Txn with type=%d${type}`);
  }
}

/** CreateTxn, or the pre-3.3 CreateTxnV0 (no parentCVersion) when a create ends early. */
function formatCreate(type: number, payload: Buffer, bodyStart: number): string {
  const a = new JavaArchive(payload, bodyStart);
  const path = a.readString();
  const data = a.readBuffer();
  const acl = a.readAclList();
  const ephemeral = a.readBool();
  let parentCVersion: number;
  try {
    parentCVersion = a.readInt();
  } catch (error) {
    if (!(error instanceof JavaEof) || type !== OpCode.create) throw error;
    parentCVersion = -1;
  }
  return `${str(path)},${text(data)},${javaAclListToString(acl)},${ephemeral},${parentCVersion}`;
}

/** TxnLogToolkit.printTxn's line for one record's payload, newline included. */
export function formatTxnLine(payload: Buffer): string {
  const a = new JavaArchive(payload);
  const clientId = a.readLong();
  const cxid = a.readInt();
  const zxid = a.readLong();
  const time = a.readLong();
  const type = a.readInt();
  const body = formatTxnBody(type, payload, a.offset);
  const line =
    `${javaShortLongDateTime(time)} session 0x${javaHex(clientId)} cxid 0x${javaHex(BigInt(cxid))} ` +
    `zxid 0x${javaHex(zxid)} ${javaOpName(type)} ${body}`;
  return line.endsWith('\n') ? line : `${line}\n`;
}

/** How a dump ended: Java's exit code and, when it failed, what it printed on stderr. */
export interface TxnLogDumpResult {
  readonly exitCode: number;
  readonly txns: number;
  readonly error?: string;
}

/**
 * TxnLogToolkit.dump on a whole log file's bytes. `fileName` is its base name (for the bad-magic
 * message). Calls `onProgress(offset)` after each record.
 */
export async function writeTxnLogDump(
  bytes: Buffer, fileName: string, out: TextOut, onProgress?: (offset: number) => void,
): Promise<TxnLogDumpResult> {
  const a = new JavaArchive(bytes);
  let count = 0;
  try {
    const magic = a.readInt();
    const version = a.readInt();
    const dbid = a.readLong();
    if (magic !== TXNLOG_MAGIC) return { exitCode: 2, txns: 0, error: `Invalid magic number for ${fileName}` };
    await out(`ZooKeeper Transactional Log File with dbid ${dbid} txnlog format version ${version}\n`);
    // Every record consumes at least 13 bytes, so the file's length bounds the loop.
    for (let records = 0; records <= bytes.length; records++) {
      let checksum: bigint;
      let payload: Buffer | null;
      try {
        checksum = a.readLong();
        payload = a.readBuffer();
      } catch (error) {
        if (!(error instanceof JavaEof)) throw error;
        await out(`EOF reached after ${count} txns.\n`);
        return { exitCode: 0, txns: count };
      }
      if (payload === null) throw new JavaIoError('java.lang.NullPointerException (a record of length -1)');
      if (payload.length === 0) {
        await out(`EOF reached after ${count} txns.\n`);
        return { exitCode: 0, txns: count };
      }
      if (checksum !== BigInt(adler32(payload))) await out(`CRC ERROR - ${formatTxnLine(payload)}`);
      await out(formatTxnLine(payload));
      if (a.readByte() !== END_OF_RECORD) return { exitCode: 1, txns: count, error: 'Last transaction was partial.' };
      count++;
      onProgress?.(a.offset);
    }
    return { exitCode: 1, txns: count, error: 'log reader did not advance' };
  } catch (error) {
    if (error instanceof JavaEof) return { exitCode: 1, txns: count, error: `java.io.EOFException (the file ends inside a record, at offset ${a.offset})` };
    if (error instanceof JavaIoError) return { exitCode: 1, txns: count, error: `java.io.IOException: ${error.message}` };
    throw error;
  }
}
