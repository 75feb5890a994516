import type { Stat, StatPersisted } from '../proto/data.js';
import type { AclEntry } from './acl-cache.js';
import { ephemeralKindOf } from '../proto/defs.js';

/** The child paths of a leaf (most znodes): shared, instead of an empty Set each. */
const NO_PATHS: readonly string[] = [];

/**
 * A znode's data as stored: each byte one char of a one-byte (Latin-1) string, or null. A
 * V8 one-byte string is one heap object of 16 bytes plus the data; a Buffer is a view object
 * (~100 bytes) over a slice of a pooled ArrayBuffer, which keeps the whole 8 KiB pool alive as
 * long as one node holds a slice of it. Latin-1 maps bytes 0..255 to chars 0..255 both ways,
 * so nothing is lost.
 */
export type StoredData = string | null;

/** Bytes -> stored form (a copy: later changes to `bytes` do not reach the node). */
export function storeData(bytes: Uint8Array | null): StoredData {
  if (bytes === null) return null;
  if (bytes.length === 0) return '';
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buffer.toString('latin1');
}

/** Stored form -> a new Buffer. */
export function loadData(stored: StoredData): Buffer | null {
  return stored === null ? null : Buffer.from(stored, 'latin1');
}

/**
 * The fields most znodes leave at their defaults: leaves have no children (cversion 0, pzxid = czxid),
 * persistent nodes no owner, and few ACLs are ever set again (aversion 0). A node gets one of
 * these the first time one of its fields leaves the default, so that a leaf takes four fields
 * (32 bytes) less.
 */
class ZnodeExtra {
  /** The children's paths (see Znode.addChild); null while there are none. */
  kids: Set<string> | null = null;
  cversion = 0;
  aversion = 0;

  constructor(
    public pzxid: bigint,
    public ephemeralOwner: bigint,
  ) {}
}

/**
 * One znode: its data, its shared ACL entry, the persisted Stat fields and its children's names.
 * Kept small, since a tree may hold millions: the data as a one-byte string, the fields most
 * nodes leave at their defaults in a ZnodeExtra made only when one of them changes, 64-bit
 * fields shared between nodes where equal (the tree passes the same bigint for czxid, mzxid and
 * pzxid of a create), 32-bit hashes stored signed (small integers need no heap box).
 */
export class Znode {
  /** The node's data (see StoredData). */
  stored: StoredData;
  /** CRC32 of the digest path and the data (tree/digest.ts), kept so stat-only changes rehash 60 bytes; signed. */
  contentCrc = 0;
  /** Its place in the tree's insertion order (DataTree.beginSnapshot). */
  seq = 0;
  acl: AclEntry;
  czxid: bigint;
  mzxid: bigint;
  ctime: bigint;
  mtime: bigint;
  version: number;
  /** cversion, aversion, pzxid, ephemeralOwner and the children, once one is not the default. */
  private extra: ZnodeExtra | null = null;

  constructor(
    stored: StoredData,
    acl: AclEntry,
    czxid: bigint,
    mzxid: bigint,
    ctime: bigint,
    mtime: bigint,
    version: number,
    cversion: number,
    aversion: number,
    ephemeralOwner: bigint,
    pzxid: bigint,
  ) {
    this.stored = stored;
    this.acl = acl;
    this.czxid = czxid;
    this.mzxid = mzxid;
    this.ctime = ctime;
    this.mtime = mtime;
    this.version = version;
    if (cversion !== 0 || aversion !== 0 || ephemeralOwner !== 0n || pzxid !== czxid) {
      const extra = new ZnodeExtra(pzxid, ephemeralOwner);
      extra.cversion = cversion;
      extra.aversion = aversion;
      this.extra = extra;
    }
  }

  private kids(): Set<string> | null {
    return this.extra === null ? null : this.extra.kids;
  }

  private more(): ZnodeExtra {
    return (this.extra ??= new ZnodeExtra(this.czxid, 0n));
  }

  /** Child creates so far (see stat()). */
  get cversion(): number {
    return this.extra === null ? 0 : this.extra.cversion;
  }

  set cversion(value: number) {
    if (this.extra !== null || value !== 0) this.more().cversion = value;
  }

  get aversion(): number {
    return this.extra === null ? 0 : this.extra.aversion;
  }

  set aversion(value: number) {
    if (this.extra !== null || value !== 0) this.more().aversion = value;
  }

  /** The zxid of the last change to the children; the node's own czxid until one. */
  get pzxid(): bigint {
    return this.extra === null ? this.czxid : this.extra.pzxid;
  }

  set pzxid(value: bigint) {
    if (this.extra !== null || value !== this.czxid) this.more().pzxid = value;
  }

  /** The owning session (or container/TTL marker, proto/defs.ts); 0 for a persistent node. */
  get ephemeralOwner(): bigint {
    return this.extra === null ? 0n : this.extra.ephemeralOwner;
  }

  set ephemeralOwner(value: bigint) {
    if (this.extra !== null || value !== 0n) this.more().ephemeralOwner = value;
  }

  /** The data as a new Buffer (a copy; encoders write `stored` directly instead). */
  get data(): Buffer | null {
    return loadData(this.stored);
  }

  set data(bytes: Uint8Array | null) {
    this.stored = storeData(bytes);
  }

  get dataLength(): number {
    return this.stored === null ? 0 : this.stored.length;
  }

  /** The children's names (a new array; getChildren order is unspecified, as in ZooKeeper). */
  childNames(): string[] {
    const kids = this.kids();
    if (kids === null) return [];
    const names: string[] = [];
    for (const path of kids) names.push(path.substring(path.lastIndexOf('/') + 1));
    return names;
  }

  /** The children's full paths. */
  childPaths(): Iterable<string> {
    return this.kids() ?? NO_PATHS;
  }

  get numChildren(): number {
    const kids = this.kids();
    return kids === null ? 0 : kids.size;
  }

  hasChild(path: string): boolean {
    const kids = this.kids();
    return kids !== null && kids.has(path);
  }

  /**
   * Adds the child at `path`: pass the string the tree keys the child by, so that a child costs
   * its parent one set slot and no string of its own.
   */
  addChild(path: string): void {
    const extra = this.more();
    (extra.kids ??= new Set()).add(path);
  }

  removeChild(path: string): void {
    const extra = this.extra;
    if (extra === null || extra.kids === null) return;
    extra.kids.delete(path);
    if (extra.kids.size === 0) extra.kids = null;
  }

  /** Takes over `other`'s children (a node replaced in place by a snapshot load). */
  adoptChildren(other: Znode): void {
    const kids = other.kids();
    if (kids !== null) this.more().kids = kids;
    else if (this.extra !== null) this.extra.kids = null;
  }

  /**
   * The eleven-field Stat clients see (DataNode.copyStat). The stored cversion counts child
   * creates; clients see creates plus deletes (2 * creates - children). Containers and TTL
   * nodes show ephemeralOwner 0.
   */
  stat(): Stat {
    const numChildren = this.numChildren;
    return {
      czxid: this.czxid,
      mzxid: this.mzxid,
      ctime: this.ctime,
      mtime: this.mtime,
      version: this.version,
      cversion: (this.cversion * 2 - numChildren) | 0,
      aversion: this.aversion,
      ephemeralOwner: ephemeralKindOf(this.ephemeralOwner) === 'normal' ? this.ephemeralOwner : 0n,
      dataLength: this.dataLength,
      numChildren,
      pzxid: this.pzxid,
    };
  }

  statPersisted(): StatPersisted {
    return {
      czxid: this.czxid,
      mzxid: this.mzxid,
      ctime: this.ctime,
      mtime: this.mtime,
      version: this.version,
      cversion: this.cversion,
      aversion: this.aversion,
      ephemeralOwner: this.ephemeralOwner,
      pzxid: this.pzxid,
    };
  }

  /**
   * A copy of what a snapshot writes (data, ACL, persisted Stat) that later changes to this
   * node do not affect. The children are not copied: a snapshot does not write them.
   */
  snapshotCopy(): Znode {
    const copy = new Znode(
      this.stored, this.acl, this.czxid, this.mzxid, this.ctime, this.mtime,
      this.version, this.cversion, this.aversion, this.ephemeralOwner, this.pzxid,
    );
    copy.contentCrc = this.contentCrc;
    return copy;
  }
}
