/**
 * ZooKeeper's tree digest (3.6+, digest version 2), so `hash` answers what ZooKeeper answers:
 *
 *   nodeDigest(path, node) := CRC32( utf8(path, "/" written as "") | data
 *                                    | czxid mzxid pzxid ctime mtime (8 bytes each, big endian)
 *                                    | version cversion aversion (4 bytes each)
 *                                    | ephemeralOwner (8 bytes) )                -- 60 stat bytes
 *   treeDigest := sum of nodeDigest over every node, wrapping at 64 bits (AdHash), signed;
 *                 nodes under "/zookeeper/" count 0 ("/zookeeper" itself counts)
 *
 * cversion and ephemeralOwner are the persisted values (StatPersisted), not what clients see.
 * After every top-level txn whose zxid is a multiple of 128 the tree digest is kept in a history
 * of at most 1024 entries: the `hash` four-letter word and admin command list it.
 * Facts from DigestCalculator, NodeHashMapImpl, AdHash and DataTree (logZxidDigest) in 3.8.
 */
import { crc32, crc32Latin1, crc32Utf8 } from '../util/crc32.js';
import type { StoredData } from './znode.js';

/** DigestCalculator.DIGEST_VERSION. */
export const DIGEST_VERSION = 2;
/** DataTree.DIGEST_LOG_INTERVAL: txns whose zxid is a multiple of it are recorded. */
export const DIGEST_LOG_INTERVAL = 128n;
/** DataTree.DIGEST_LOG_LIMIT: entries the history keeps (oldest dropped first). */
export const DIGEST_LOG_LIMIT = 1024;
/** ZooDefs.ZOOKEEPER_NODE_SUBTREE: everything below it is left out of the digest. */
const EXCLUDED_SUBTREE = '/zookeeper/';
const STAT_BYTES = 60;
const TWO_TO_32 = 0x1_0000_0000;

/** The Stat fields the digest covers (a Znode has them all). */
export interface DigestedStat {
  readonly czxid: bigint;
  readonly mzxid: bigint;
  readonly pzxid: bigint;
  readonly ctime: bigint;
  readonly mtime: bigint;
  readonly version: number;
  readonly cversion: number;
  readonly aversion: number;
  readonly ephemeralOwner: bigint;
}

/** True for nodes the digest leaves out (quota and config nodes, updated outside txns). */
export function isDigestExcluded(path: string): boolean {
  return path.startsWith(EXCLUDED_SUBTREE);
}

/** The CRC of the path and data: the part of a node's digest only setData changes. */
export function contentCrc(path: string, data: StoredData | Uint8Array): number {
  const crc = crc32Utf8(path === '/' ? '' : path);
  if (data === null) return crc;
  return typeof data === 'string' ? crc32Latin1(data, crc) : crc32(data, crc);
}

const statScratch = new DataView(new ArrayBuffer(STAT_BYTES));
const statBytes = new Uint8Array(statScratch.buffer);

/** A node's digest from its content CRC and its stat: O(60) bytes whatever the data size. */
export function nodeDigest(content: number, stat: DigestedStat): number {
  const v = statScratch;
  v.setBigInt64(0, stat.czxid);
  v.setBigInt64(8, stat.mzxid);
  v.setBigInt64(16, stat.pzxid);
  v.setBigInt64(24, stat.ctime);
  v.setBigInt64(32, stat.mtime);
  v.setInt32(40, stat.version);
  v.setInt32(44, stat.cversion);
  v.setInt32(48, stat.aversion);
  v.setBigInt64(52, stat.ephemeralOwner);
  return crc32(statBytes, content);
}

/**
 * AdHash: a 64-bit sum kept as two unsigned 32-bit halves, so adding and removing a node digest
 * costs no bigint arithmetic.
 */
export class TreeDigest {
  private low = 0;
  private high = 0;

  add(digest: number): void {
    this.low += digest;
    if (this.low >= TWO_TO_32) {
      this.low -= TWO_TO_32;
      this.high = (this.high + 1) >>> 0;
    }
  }

  remove(digest: number): void {
    this.low -= digest;
    if (this.low < 0) {
      this.low += TWO_TO_32;
      this.high = (this.high - 1) >>> 0;
    }
  }

  /** The sum as Java's long (signed 64-bit). */
  get value(): bigint {
    return BigInt.asIntN(64, (BigInt(this.high) << 32n) | BigInt(this.low));
  }
}

/** One history entry (DataTree.ZxidDigest). */
export interface ZxidDigest {
  readonly zxid: bigint;
  readonly digestVersion: number;
  /** Signed, as Java's long. */
  readonly digest: bigint;
}

/** The bounded history of tree digests (DataTree.digestLog). */
export class DigestLog {
  private readonly entries: ZxidDigest[] = [];

  /** Records the digest after txn `zxid` when the zxid is on the interval (logZxidDigest). */
  onTxnApplied(zxid: bigint, digest: TreeDigest): void {
    if (zxid % DIGEST_LOG_INTERVAL !== 0n) return;
    this.entries.push({ zxid, digestVersion: DIGEST_VERSION, digest: digest.value });
    if (this.entries.length > DIGEST_LOG_LIMIT) this.entries.shift();
  }

  /** Oldest first. */
  list(): readonly ZxidDigest[] {
    return this.entries;
  }
}
