import type { Stat, StatPersisted } from '../proto/data.js';
import type { AclEntry } from './acl-cache.js';

/** One znode: its data, its shared ACL entry, the persisted Stat fields and its children's names. */
export class Znode {
  constructor(
    public data: Buffer,
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

  /** The eleven-field Stat clients see. */
  stat(): Stat {
    return {
      czxid: this.czxid,
      mzxid: this.mzxid,
      ctime: this.ctime,
      mtime: this.mtime,
      version: this.version,
      cversion: this.cversion,
      aversion: this.aversion,
      ephemeralOwner: this.ephemeralOwner,
      dataLength: this.data.length,
      numChildren: this.children.size,
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
    return new Znode(
      this.data, this.acl, this.czxid, this.mzxid, this.ctime, this.mtime,
      this.version, this.cversion, this.aversion, this.ephemeralOwner, this.pzxid, new Set(this.children),
    );
  }
}
