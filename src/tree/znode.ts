import type { Stat, StatPersisted } from '../proto/data.js';
import type { AclEntry } from './acl-cache.js';
import { ephemeralKindOf } from '../proto/defs.js';

/** One znode: its data, its shared ACL entry, the persisted Stat fields and its children's names. */
export class Znode {
  constructor(
    public data: Buffer | null,
    public acl: AclEntry,
    public czxid: bigint,
    public mzxid: bigint,
    public ctime: bigint,
    public mtime: bigint,
    public version: number,
    public cversion: number,
    public aversion: number,
    public ephemeralOwner: bigint,
    public pzxid: bigint,
    public children: Set<string> = new Set(),
  ) {}

  /** CRC32 of the digest path and the data (tree/digest.ts), kept so stat-only changes rehash 60 bytes. */
  contentCrc = 0;
  /** This node's share of the tree digest as last added (0 for nodes the digest leaves out). */
  digest = 0;

  get dataLength(): number {
    return this.data === null ? 0 : this.data.length;
  }

  /**
   * The eleven-field Stat clients see (DataNode.copyStat). The stored cversion counts child
   * creates; clients see creates plus deletes (2 * creates - children). Containers and TTL
   * nodes show ephemeralOwner 0.
   */
  stat(): Stat {
    const numChildren = this.children.size;
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

  /** A copy that later changes to this node do not affect (children copied too). */
  clone(): Znode {
    const copy = new Znode(
      this.data, this.acl, this.czxid, this.mzxid, this.ctime, this.mtime,
      this.version, this.cversion, this.aversion, this.ephemeralOwner, this.pzxid, new Set(this.children),
    );
    copy.contentCrc = this.contentCrc;
    copy.digest = this.digest;
    return copy;
  }
}
