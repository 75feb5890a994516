import type { JuteReader } from '../jute/reader.js';
import type { JuteWriter } from '../jute/writer.js';

/** `Id{ustring scheme; ustring id}`. */
export interface Id {
  readonly scheme: string;
  readonly id: string;
}

/** `ACL{int perms; Id id}`. */
export interface Acl {
  readonly perms: number;
  readonly id: Id;
}

/** `Stat`: eleven fields, 68 bytes on the wire. */
export interface Stat {
  czxid: bigint;
  mzxid: bigint;
  ctime: bigint;
  mtime: bigint;
  version: number;
  cversion: number;
  aversion: number;
  ephemeralOwner: bigint;
  dataLength: number;
  numChildren: number;
  pzxid: bigint;
}

export const STAT_BYTES = 68;

export function readId(r: JuteReader): Id {
  const scheme = r.readString() ?? '';
  const id = r.readString() ?? '';
  return { scheme, id };
}

export function writeId(w: JuteWriter, id: Id): void {
  w.writeString(id.scheme).writeString(id.id);
}

export function readAcl(r: JuteReader): Acl {
  const perms = r.readInt();
  return { perms, id: readId(r) };
}

export function writeAcl(w: JuteWriter, acl: Acl): void {
  w.writeInt(acl.perms);
  writeId(w, acl.id);
}

export function readAclList(r: JuteReader): Acl[] | null {
  return r.readVector(readAcl);
}

export function writeAclList(w: JuteWriter, acls: readonly Acl[] | null): void {
  w.writeVector(acls, writeAcl);
}

export function readStat(r: JuteReader): Stat {
  return {
    czxid: r.readLong(),
    mzxid: r.readLong(),
    ctime: r.readLong(),
    mtime: r.readLong(),
    version: r.readInt(),
    cversion: r.readInt(),
    aversion: r.readInt(),
    ephemeralOwner: r.readLong(),
    dataLength: r.readInt(),
    numChildren: r.readInt(),
    pzxid: r.readLong(),
  };
}

export function writeStat(w: JuteWriter, s: Stat): void {
  w.writeLong(s.czxid)
    .writeLong(s.mzxid)
    .writeLong(s.ctime)
    .writeLong(s.mtime)
    .writeInt(s.version)
    .writeInt(s.cversion)
    .writeInt(s.aversion)
    .writeLong(s.ephemeralOwner)
    .writeInt(s.dataLength)
    .writeInt(s.numChildren)
    .writeLong(s.pzxid);
}

/** `StatPersisted`: Stat without dataLength and numChildren (snapshots). */
export type StatPersisted = Omit<Stat, 'dataLength' | 'numChildren'>;

export function readStatPersisted(r: JuteReader): StatPersisted {
  return {
    czxid: r.readLong(),
    mzxid: r.readLong(),
    ctime: r.readLong(),
    mtime: r.readLong(),
    version: r.readInt(),
    cversion: r.readInt(),
    aversion: r.readInt(),
    ephemeralOwner: r.readLong(),
    pzxid: r.readLong(),
  };
}

export function writeStatPersisted(w: JuteWriter, s: StatPersisted): void {
  w.writeLong(s.czxid)
    .writeLong(s.mzxid)
    .writeLong(s.ctime)
    .writeLong(s.mtime)
    .writeInt(s.version)
    .writeInt(s.cversion)
    .writeInt(s.aversion)
    .writeLong(s.ephemeralOwner)
    .writeLong(s.pzxid);
}

/** ZooDefs.Ids. */
export const Ids = {
  ANYONE_ID_UNSAFE: { scheme: 'world', id: 'anyone' } as Id,
  AUTH_IDS: { scheme: 'auth', id: '' } as Id,
  OPEN_ACL_UNSAFE: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }] as readonly Acl[],
  CREATOR_ALL_ACL: [{ perms: 31, id: { scheme: 'auth', id: '' } }] as readonly Acl[],
  READ_ACL_UNSAFE: [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }] as readonly Acl[],
} as const;
